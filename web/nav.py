"""The areas of the web app, by role: the header's navigation and the home page's links
come from this one list. A new page that people should find adds one `Area` here."""

from __future__ import annotations

from dataclasses import dataclass

from engine.auth import Principal
from web.i18n import lazy_text as _l

# engine.auth.ROLES in the page's language.
ROLE_LABELS = {
    "admin": _l("系统管理员"), "designer": _l("流程设计人员"), "clerk": _l("受理窗口工作人员"),
    "dispatcher": _l("县救助中心调度"), "caseworker": _l("部门经办人员"), "leader": _l("分管领导"),
    "supervisor": _l("督办人员"), "auditor": _l("审计人员"), "applicant": _l("申请人"),
    "system": _l("外部系统（12345、部门系统）"),
}


@dataclass(frozen=True)
class Area:
    endpoint: str  # url_for target
    label: object  # lazy text
    description: object
    roles: tuple[str, ...] = ()  # who sees it (admin always); empty: every signed-in user
    in_header: bool = True


# In the order people reach for them: their work first, then the case, figures, audit, design, admin.
AREAS: list[Area] = [
    Area("web.tasks.index", _l("待办任务"),
         _l("本组和我的待办、待认领、超期与即将到期的任务；认领、填写表单、移交、提交。"),
         ("clerk", "dispatcher", "caseworker", "leader", "supervisor")),
    Area("web.cases.index", _l("案件"), _l("查看本区划的案件：办理进度、期限、办理记录和短信、台账、派单记录。"),
         ("clerk", "dispatcher", "caseworker", "leader", "supervisor", "auditor")),
    Area("web.cases.choose", _l("受理申请"), _l("选择救助流程，填写申请表，受理新的案件。"), ("clerk", "dispatcher")),
    Area("web.dashboard.index", _l("统计分析"), _l("本辖区受理量、各环节在办与用时、按期完成率、超期和申请人评价。"),
         ("leader", "supervisor", "dispatcher", "caseworker")),
    Area("web.audit.cases", _l("审计"), _l("逐步回放案件经过，以重新执行验证其历史，导出可离线核验的审计文件。"),
         ("auditor",)),
    Area("web.audit.access_log", _l("访问日志"), _l("谁在何时查看了哪个案件的历史或完整个人信息，以及原因。"),
         ("auditor",), in_header=False),
    Area("web.audit.verification_run", _l("夜间核验"),
         _l("每晚封存案件链头并以重新执行核验全部案件：最近一次的结果和未通过的案件。"), ("supervisor", "auditor"),
         in_header=False),
    Area("web.designer.index", _l("流程设计"),
         _l("在浏览器中编辑流程图，边改边检查，模拟工作日期限，部署新版本，比较版本差异。"), ("designer",)),
    Area("web.definitions.index", _l("流程与表单"), _l("查看已部署的流程图（只读），预览各环节表单。"),
         ("designer", "auditor")),
    Area("web.users.index", _l("用户管理"), _l("添加用户，修改角色、工作组、部门和区划，停用账号，重置密码。"),
         ("admin",)),
    Area("web.portal.index", _l("网上办事大厅"), _l("申请人看到的办事指南、在线申请、进度查询和救助公示。"), (),
         in_header=False),
    Area("web.account.password", _l("修改密码"), _l("更换自己的登录密码；其他设备上的登录将被注销。"), (),
         in_header=False),
]


def areas_for(who: Principal | None, header: bool = False) -> list[Area]:
    """The areas `who` may open (header: only those shown in the header)."""
    if who is None:
        return []
    return [a for a in AREAS if (not a.roles or who.has_role(*a.roles)) and (a.in_header or not header)]
