// Chinese labels for the bpmn.io modelers (issue 13): bpmn-js (palette, context pad,
// replace menu), dmn-js (decision table and diagram) and the form-js editor's palette,
// through their `translate` service (the bpmn.io way: a module overriding `translate`).
// The page's language decides: <html lang="zh-CN"> gets Chinese, English pages the
// modelers' own English. Untranslated strings stay English rather than disappear.
import { FORM_PANEL_ZH } from "./form-panel-zh.js";

const ZH = {
  ...FORM_PANEL_ZH,
  // bpmn-js palette and tools
  "Activate hand tool": "抓手工具", "Activate lasso tool": "套索工具",
  "Activate create/remove space tool": "插入/删除空间", "Activate global connect tool": "连线工具",
  "Create start event": "添加开始事件", "Create intermediate/boundary event": "添加中间/边界事件",
  "Create end event": "添加结束事件", "Create gateway": "添加网关", "Create task": "添加任务",
  "Create expanded sub-process": "添加展开的子流程", "Create data object reference": "添加数据对象",
  "Create data store reference": "添加数据存储", "Create pool/participant": "添加泳池/参与者",
  "Create group": "添加分组",
  // context pad
  "Append end event": "接着添加结束事件", "Append gateway": "接着添加网关", "Append task": "接着添加任务",
  "Append intermediate/boundary event": "接着添加中间/边界事件", "Append user task": "接着添加人员任务",
  "Append text annotation": "添加注释", "Append receive task": "接着添加接收任务",
  "Append timer intermediate catch event": "接着添加定时中间事件",
  "Append message intermediate catch event": "接着添加消息中间事件",
  "Append signal intermediate catch event": "接着添加信号中间事件",
  "Append conditional intermediate catch event": "接着添加条件中间事件",
  "Append compensation activity": "接着添加补偿活动",
  "Change element": "更改类型", "Change type": "更改类型", "Delete": "删除",
  "Connect to other element": "连线到其他元素", "Connect using association": "用关联连线",
  "Connect using sequence/message flow or association": "用顺序流/消息流或关联连线",
  "Connect using data input association": "用数据输入关联连线",
  "Add text annotation": "添加注释", "Add lane above": "在上方添加泳道", "Add lane below": "在下方添加泳道",
  "Divide into two lanes": "分为两条泳道", "Divide into three lanes": "分为三条泳道",
  "Align elements": "对齐元素", "Distribute elements horizontally": "水平均匀分布",
  "Distribute elements vertically": "垂直均匀分布", "Search in diagram": "在图中搜索",
  "Open {element}": "打开 {element}", "Set color": "设置颜色",
  // replace menu
  "Task": "任务", "User task": "人员任务", "Service task": "服务任务", "Script task": "脚本任务",
  "Business rule task": "业务规则任务", "Manual task": "手工任务", "Send task": "发送任务",
  "Receive task": "接收任务", "Call activity": "调用活动", "Sub-process": "子流程",
  "Sub-process (collapsed)": "子流程（折叠）", "Sub-process (expanded)": "子流程（展开）",
  "Event sub-process": "事件子流程", "Transaction": "事务",
  "Exclusive gateway": "排他网关", "Parallel gateway": "并行网关", "Inclusive gateway": "包容网关",
  "Complex gateway": "复杂网关", "Event-based gateway": "事件网关",
  "Start event": "开始事件", "End event": "结束事件", "Intermediate throw event": "中间抛出事件",
  "Timer start event": "定时开始事件", "Message start event": "消息开始事件",
  "Signal start event": "信号开始事件", "Conditional start event": "条件开始事件",
  "Timer boundary event": "定时边界事件", "Message boundary event": "消息边界事件",
  "Error boundary event": "错误边界事件", "Signal boundary event": "信号边界事件",
  "Escalation boundary event": "升级边界事件", "Conditional boundary event": "条件边界事件",
  "Timer intermediate catch event": "定时中间捕获事件", "Message intermediate catch event": "消息中间捕获事件",
  "Message intermediate throw event": "消息中间抛出事件", "Signal intermediate catch event": "信号中间捕获事件",
  "Message end event": "消息结束事件", "Error end event": "错误结束事件", "Terminate end event": "终止结束事件",
  "Signal end event": "信号结束事件", "Escalation end event": "升级结束事件",
  "Sequence flow": "顺序流", "Default flow": "默认连线", "Conditional flow": "条件连线",
  "Loop": "循环", "Parallel multi-instance": "并行多实例", "Sequential multi-instance": "串行多实例",
  "Data object reference": "数据对象", "Data store reference": "数据存储",
  // dmn-js (decision table, diagram)
  "Add rule": "添加规则", "Add Input": "添加输入", "Add Output": "添加输出", "Hit policy": "命中策略",
  "Hit Policy:": "命中策略：", "Input": "输入", "Output": "输出", "Annotations": "注释",
  "Annotation": "注释", "Rule": "规则", "Add Rule": "添加规则",
  "Input Expression": "输入表达式", "Expression": "表达式", "Input Label": "输入名称",
  "Output Label": "输出名称", "Output Name": "输出变量名", "Type": "类型",
  "Remove": "删除", "Copy": "复制", "Cut": "剪切", "Paste": "粘贴",
  "Add Rule Above": "在上方添加规则", "Add Rule Below": "在下方添加规则", "Remove Rule": "删除规则",
  "Copy Rule Above": "复制规则到上方", "Copy Rule Below": "复制规则到下方",
  "Add Input Left": "在左侧添加输入", "Add Input Right": "在右侧添加输入", "Remove Input": "删除输入",
  "Add Output Left": "在左侧添加输出", "Add Output Right": "在右侧添加输出", "Remove Output": "删除输出",
  "Create decision": "添加决策", "Create input data": "添加输入数据",
  "Create knowledge source": "添加知识来源", "Create business knowledge model": "添加业务知识模型",
  "View drd": "查看决策需求图", "View DRD": "查看决策需求图", "Open decision table": "打开决策表",
  "When": "当", "And": "且", "Then": "则", "Hit policy:": "命中策略：", "Hit policy": "命中策略",
  "Unique": "唯一", "First": "第一条", "Priority": "优先级", "Any": "任一", "Collect": "汇总",
  "Rule order": "规则顺序", "Output order": "输出顺序", "Add rule above": "在上方添加规则",
  "Add rule below": "在下方添加规则", "Input label: ": "输入名称：", "Input expression: ": "输入表达式：",
  "Input label": "输入名称", "Input values": "输入取值", "Output values": "输出取值", "Output label": "输出名称",
  "Output name": "输出变量名", "Input type": "输入类型", "Output type": "输出类型", "Element name": "元素名称",
  "Name": "名称", "Value": "值", "Kind": "种类", "Result": "结果", "Variable name": "变量名",
  "Append decision": "接着添加决策", "Append input data": "接着添加输入数据",
  "Append knowledge source": "接着添加知识来源", "Append business knowledge model": "接着添加业务知识模型",
  "Create knowledge model": "添加业务知识模型",
  "Copy rule": "复制规则", "Cut rule": "剪切规则", "Paste rule above": "粘贴到上方", "Paste rule below": "粘贴到下方",
  "Remove rule": "删除规则", "Add cell description": "添加单元格说明", "Add input column left": "在左侧添加输入列",
  "Add input column right": "在右侧添加输入列", "Add output column left": "在左侧添加输出列",
  "Add output column right": "在右侧添加输出列", "Copy input column": "复制输入列", "Copy output column": "复制输出列",
  "Paste input column left": "粘贴输入列到左侧", "Paste input column right": "粘贴输入列到右侧",
  "Remove input column": "删除输入列", "Remove output column": "删除输出列", "Decision name": "决策名称",
  "Decision name: ": "决策名称：", "Add input": "添加输入", "Add output": "添加输出",
};
// The form-js editor's palette (its field labels; the palette does not call translate).
const FORM_FIELDS = {
  textfield: "文本框", textarea: "多行文本", number: "数字", datetime: "日期时间", checkbox: "勾选框",
  checklist: "多选框组", radio: "单选按钮组", select: "下拉选择", taglist: "标签列表", text: "说明文字",
  html: "HTML", image: "图片", table: "表格", button: "按钮", group: "分组", dynamiclist: "动态列表",
  iframe: "内嵌页面", separator: "分隔线", spacer: "空白", expression: "表达式", filepicker: "文件选择",
  documentPreview: "文件预览",
};
const GROUPS = { Input: "输入", Selection: "选择", Presentation: "展示", Containers: "容器", Action: "操作" };

/** Whether this page is in Chinese. */
export function chinese() {
  return (document.documentElement.lang || "zh").toLowerCase().startsWith("zh");
}

function fill(template, replacements) {
  return template.replace(/{([^}]+)}/g, (_, key) => (replacements && key in replacements ? replacements[key] : `{${key}}`));
}

/** The translate function of the page's language. */
export function translate(template, replacements) {
  return fill(chinese() ? ZH[template] || template : template, replacements || {});
}

/** A bpmn.io module overriding `translate` (bpmn-js, dmn-js, form-js). */
export const translateModule = { translate: ["value", translate] };

/** The form-js editor's field labels in the page's language. Its palette reads them once,
 * while the editor is being built, from its field types (shared by every editor of the
 * page): a first editor, never shown, gives access to them before the real one is built. */
export function translateFormFields(FormEditor) {
  if (!chinese()) return;
  const probe = new FormEditor({ container: document.createElement("div") });
  const formFields = probe.get("formFields");
  for (const [type, label] of Object.entries(FORM_FIELDS)) {
    const field = formFields.get(type);
    // the palette shows `name` (or `label`, for custom fields)
    if (field && field.config) field.config = { ...field.config, label, name: label };
  }
  probe.destroy();
}

const PALETTE_TEXTS = { ...GROUPS, Components: "组件" };

/** The palette's headings (written by the editor without translate) in Chinese, kept so
 * when the palette draws them again (a search). Only the text nodes' data is changed:
 * the editor's renderer keeps its nodes. */
export function translatePalette(root) {
  if (!chinese()) return;
  const apply = () => {
    for (const el of root.querySelectorAll(".fjs-palette-group-title, .fjs-palette-header")) {
      for (const node of el.childNodes) {
        const text = node.nodeType === Node.TEXT_NODE ? node.data.trim() : "";
        if (PALETTE_TEXTS[text]) node.data = PALETTE_TEXTS[text];
      }
    }
    const search = root.querySelector(".fjs-palette-search");
    if (search && search.placeholder === "Search components") search.placeholder = "搜索组件";
  };
  apply();
  new MutationObserver(apply).observe(root, { childList: true, subtree: true });
}

// The form-js editor's properties panel has no translate service of its own (form-js
// issue #77: its entries pass English labels straight to @bpmn-io/properties-panel). The
// bpmn.io extension point it does have is the properties provider: a provider registered
// after the editor's own (lower priority) receives every group the panel will show and
// may change them. This one translates the groups' titles and wraps each entry's
// component: the wrapper renders the entry exactly as before (same hooks, same order) and
// translates the English texts in the element it returns (label, description, tooltip,
// placeholder, choices and check messages), before the panel draws it. Wrappers are kept
// per entry component: a new function each time would make the panel rebuild the entry
// (and lose the focus) at each keystroke. No DOM is
// patched afterwards, so nothing flickers or is lost when the panel redraws.
const PANEL_PRIORITY = 100; // the editor's provider has 1000; lower runs later
const TEXT_PROPS = ["label", "description", "tooltip", "placeholder"];

function translateTree(node, t) {
  if (Array.isArray(node)) return node.map((child) => translateTree(child, t));
  if (typeof node === "string") return t(node);
  if (node && typeof node === "object" && node.props) {
    const { props } = node;
    if (Array.isArray(props.children) || (props.children && typeof props.children === "object")) {
      props.children = translateTree(props.children, t);
    } else if (typeof props.children === "string") {
      props.children = t(props.children);
    }
  }
  return node;
}

function translateProps(node, t) {
  if (Array.isArray(node)) {
    node.forEach((child) => translateProps(child, t));
    return;
  }
  if (!node || typeof node !== "object" || !node.props) return;
  const { props } = node;
  for (const key of TEXT_PROPS) {
    // a hint may be an element (text with a link): its texts are translated too
    if (typeof props[key] === "string") props[key] = t(props[key]);
    else if (props[key] && typeof props[key] === "object") props[key] = translateTree(props[key], t);
  }
  // the hint under an input is handed on as the `value` of a description (it has `forId`)
  if ("forId" in props && typeof props.value === "string") props.value = t(props.value);
  // a select's choices, already read from the entry's getOptions
  if (Array.isArray(props.options)) {
    props.options = props.options.map((o) => (o && typeof o.label === "string" ? { ...o, label: t(o.label) } : o));
  }
  // a check message (the entry's validate ran inside it): shown as the text of this element
  if (typeof props.class === "string" && props.class.includes("bio-properties-panel-error")
      && typeof props.children === "string") {
    props.children = t(props.children);
    return;
  }
  if (props.children) translateProps(props.children, t);
}

function wrapped(cache, original, make) {
  if (!cache.has(original)) cache.set(original, make(original));
  return cache.get(original);
}

/** Registers the provider above on a form-js editor (via its module system). */
function TranslatedFormProperties(propertiesPanel, translate) {
  const wrappers = new WeakMap();
  const component = (Entry) => wrapped(wrappers, Entry, (render) => function TranslatedEntry(props) {
    const node = render(props);
    translateProps(node, translate);
    return node;
  });
  const entries = (list) => list && list.map((e) => (e.component ? { ...e, component: component(e.component) } : e));
  propertiesPanel.registerProvider({
    getGroups: () => (groups) => groups.map((group) => ({
      ...group,
      label: typeof group.label === "string" ? translate(group.label) : group.label,
      entries: entries(group.entries),
      // list items keep their labels (the designer's own option names); their entries are translated
      items: group.items && group.items.map((item) => ({ ...item, entries: entries(item.entries) })),
    })),
  }, PANEL_PRIORITY);
}
TranslatedFormProperties.$inject = ["propertiesPanel", "translate"];

/** A form-js editor module: its properties panel in the page's language (with translateModule). */
export const formPropertiesModule = {
  __init__: ["translatedFormProperties"],
  translatedFormProperties: ["type", TranslatedFormProperties],
};
