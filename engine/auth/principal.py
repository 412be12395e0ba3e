"""Who is acting: roles decide which endpoints, groups decide which tasks."""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES = {
    "admin": "系统管理员",
    "designer": "流程设计人员",
    "clerk": "受理窗口工作人员",
    "dispatcher": "县救助中心调度",
    "caseworker": "部门经办人员",
    "leader": "分管领导",
    "supervisor": "督办人员",
    "auditor": "审计人员",
    "applicant": "申请人",
    "system": "外部系统（12345、部门系统）",
}


@dataclass(frozen=True)
class Principal:
    username: str
    roles: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    department: str | None = None
    region: str | None = None
    display_name: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def has_role(self, *roles: str) -> bool:
        return "admin" in self.roles or bool(set(roles) & set(self.roles))

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles
