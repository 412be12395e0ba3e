// Chinese texts of the form-js editor's properties panel (issue 13): its group titles,
// entry labels, hints, choices and check messages, as written in @bpmn-io/form-js-editor
// 1.23 (English is the key, as with bpmn-js's translate). Used by modeler-i18n.js;
// a text not listed here stays English.
export const FORM_PANEL_ZH = {
  // groups
  "General": "常规", "Condition": "显示条件", "Layout": "布局", "Appearance": "外观",
  "Serialization": "数据格式", "Constraints": "限制", "Validation": "校验", "Custom properties": "自定义属性",
  "Security attributes": "安全属性", "Static options": "固定选项", "Dynamic options": "动态选项",
  "Options source": "选项来源", "Header items": "表头列", "Headers source": "表头来源",
  // general entries
  "Field label": "字段标题", "Group label": "分组标题", "Table label": "表格标题", "Title": "标题",
  "Field description": "字段说明", "Default value": "默认值", "Key": "键（key）", "ID": "标识",
  "Path": "路径", "Label": "标题", "Value": "值", "Text": "文本", "Content": "内容", "Action": "操作",
  "Submit": "提交", "Reset": "重置", "Disabled": "禁用", "Read only": "只读", "Required": "必填",
  "Checked": "已勾选", "Not checked": "未勾选", "<none>": "（无）", "Alternative text": "替代文字",
  "Image source": "图片地址", "URL": "网址", "Height": "高度", "Show outline": "显示边框",
  "Date label": "日期标题", "Time label": "时间标题", "Subtype": "子类型", "Use 24h": "24 小时制",
  "Disallow past dates": "不允许过去的日期", "Time interval": "时间间隔", "Time format": "时间格式",
  "Searchable": "可搜索", "Decimal digits": "小数位数", "Increment": "步长", "Prefix": "前缀",
  "Suffix": "后缀", "Target value": "目标值", "Compute on": "计算时机", "Value changes": "值改变时",
  "Form submission": "提交表单时", "Output as string": "以字符串输出", "Expression": "表达式",
  "Type": "类型", "Input values key": "选项数据的键", "Options expression": "选项表达式",
  "List of items": "固定列表", "Data source": "数据来源", "Pagination": "分页",
  "Number of rows per page": "每页行数", "Column": "列", "Columns": "栏宽", "Auto": "自动",
  "Vertical alignment": "垂直对齐", "Top": "顶部", "Center": "居中", "Bottom": "底部",
  "Default number of items": "默认条目数", "Allow add/delete items": "允许增删条目",
  "Disable collapse": "不可折叠", "Number of non-collapsing items": "不折叠的条目数",
  "Version tag": "版本标签", "Supported file formats": "支持的文件格式", "Upload multiple files": "可上传多个文件",
  "Document reference": "文件引用", "Max height of preview container": "预览区最大高度",
  "Custom error message": "自定义错误提示", "Custom regular expression": "自定义正则表达式",
  "Validation pattern": "校验规则", "Custom": "自定义", "Email": "电子邮箱", "Phone": "电话号码",
  "Minimum": "最小值", "Maximum": "最大值", "Minimum length": "最短长度", "Maximum length": "最大长度",
  // hints
  "Binds to a form variable": "对应表单数据中的一个变量",
  "Where the child variables of this component are pathed to.": "此组件内各字段的数据放在哪个路径下。",
  "Height of the container in pixels.": "容器高度（像素）。",
  "Expression or static value (link/data URI)": "表达式或固定值（链接或 data URI）",
  "Define an expression to calculate the value of this field": "用表达式计算此字段的值",
  "Allows arbitrary precision values": "允许任意精度的数值",
  "Define which input property to populate the values from": "选项从哪个输入数据中读取",
  "Define an expression to populate the options from.": "用表达式生成选项。",
  "Specify the source from which to populate the table": "表格数据的来源",
  "Specify an expression to populate column items": "用表达式生成各列",
  "Descriptive text for screen reader accessibility.": "供读屏软件朗读的说明文字。",
  "Disable this field when it should not be interactive for end-users. Its data will not be submitted. This setting takes precedence over read-only.":
    "不让填写人操作此字段时禁用它；它的数据不会提交。此设置优先于“只读”。",
  "Make this field read-only when it cannot be edited by the end-user, but its content is important for them to see. Its data will still be submitted.":
    "填写人不能修改、但需要看到内容时设为只读；它的数据仍会提交。",
  "Use a unique \"key\" to link the form element and the related input/output data. When dealing with nested data, break it down in the user task's input mapping before using it.":
    "用唯一的“键”把此字段和流程数据对应起来；嵌套的数据请先在人员任务的输入映射中拆开。",
  "The error message to display when the input does not match the regular expression.": "输入不符合正则表达式时显示的错误提示。",
  "Add properties directly to the form schema, useful to configure functionality in custom-built task applications and form renderers.":
    "直接写入表单定义的属性，供自建的任务应用或表单渲染器使用。",
  // check messages
  "Must not be empty.": "不能为空。", "Must not be empty": "不能为空", "Must be unique.": "必须唯一。",
  "Must not contain spaces.": "不能含空格。", "Must be a variable or a dot separated path.": "必须是变量名或用点分隔的路径。",
  "Must not contain numerical path segments.": "路径中不能有纯数字的部分。",
  "Must not cause two binding paths to collide": "不能与另一个字段的数据路径冲突",
  "Must not be a prohibited path.": "不能使用保留的路径。",
  "Must not conflict with other key/path assignments.": "不能与其他字段的键或路径冲突。", "Must be a valid QName.": "必须是有效的限定名。",
  "Must not contain prefix.": "不能含前缀。", "Must be number": "必须是数字", "A number is required.": "必须填写数字。",
  "Should be a valid number": "应为有效的数字", "Should be a valid number.": "应为有效的数字。",
  "Should be an integer.": "应为整数。", "Should be greater than zero.": "应大于零。",
  "Should be greater than or equal to zero.": "应大于或等于零。", "Value must be a number.": "值必须是数字。",
  "For security reasons the URL must start with \"https\".": "出于安全原因，网址必须以 https 开头。",
  "The document data source is required.": "必须指定文件的数据来源。",
};
