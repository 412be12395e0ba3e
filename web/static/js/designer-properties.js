// The designer's properties form (issue 13): what this engine reads from an element,
// edited without writing XML. Name; a sequence flow's condition; a gateway's default
// flow; a user task's form and candidate groups (spiffworkflow:properties); a service
// task's worker topic (spiffworkflow:serviceTaskOperator); a timer's deadline written as
// "N working days" (timeDate `add_working_days(now(), N)`) or as its own expression, and
// the deadline's basis as clerks read it (the `basis` property).
// Every change goes through bpmn-js's modeling commands (undo, and the page's live lint).
//
// attachProperties(modeler, panel, texts): `panel` holds a [data-properties-body].
const SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core";
const WORKING_DAYS = /^add_working_days\(now\(\),\s*(\d+)\)$/;

function field(label, id, value, { multiline = false, type = "text", options = null } = {}) {
  const wrap = document.createElement("div");
  wrap.className = "field";
  const lab = document.createElement("label");
  lab.className = "field__label";
  lab.htmlFor = id;
  lab.textContent = label;
  let input;
  if (options) {
    input = document.createElement("select");
    for (const [optionValue, text] of options) {
      const option = document.createElement("option");
      option.value = optionValue;
      option.textContent = text;
      input.append(option);
    }
  } else {
    input = document.createElement(multiline ? "textarea" : "input");
    if (!multiline) input.type = type;
    if (multiline) input.rows = 3;
  }
  input.className = "input";
  input.id = id;
  input.value = value ?? "";
  input.spellcheck = false;
  wrap.append(lab, input);
  return { wrap, input };
}

function extension(bo, type) {
  const values = (bo.extensionElements && bo.extensionElements.values) || [];
  return values.find((v) => v.$type === type);
}

export function attachProperties(modeler, panel, t) {
  const body = panel.querySelector("[data-properties-body]");
  const modeling = modeler.get("modeling");
  const moddle = modeler.get("moddle");
  let current = null;

  // A copy of the element's extension elements with `type` replaced by `replacement`
  // (null: removed), set through one modeling command.
  const setExtension = (element, type, replacement) => {
    const bo = element.businessObject;
    const values = ((bo.extensionElements && bo.extensionElements.values) || []).filter((v) => v.$type !== type);
    if (replacement) values.push(replacement);
    const extensionElements = values.length ? moddle.create("bpmn:ExtensionElements", { values }) : undefined;
    modeling.updateProperties(element, { extensionElements });
  };
  const properties = (bo) => {
    const found = extension(bo, "spiffworkflow:properties");
    return Object.fromEntries(((found && found.$children) || []).map((p) => [p.name, p.value]));
  };
  const setProperty = (element, name, value) => {
    const props = properties(element.businessObject);
    if (value) props[name] = value;
    else delete props[name];
    const children = Object.entries(props).map(([n, v]) =>
      moddle.createAny("spiffworkflow:property", SPIFF, { name: n, value: v }));
    const container = children.length ? moddle.createAny("spiffworkflow:properties", SPIFF, {}) : null;
    if (container) container.$children = children;
    setExtension(element, "spiffworkflow:properties", container);
  };
  const expression = (text) => moddle.create("bpmn:FormalExpression", { body: text });

  const add = (label, key, value, apply, options = {}) => {
    const { wrap, input } = field(label, `prop-${key}`, value, options);
    input.dataset.property = key;
    input.addEventListener("change", () => apply(input.value.trim()));
    body.append(wrap);
    return input;
  };

  function render(element) {
    current = element;
    body.replaceChildren();
    if (!element || element.type === "label") {
      const p = document.createElement("p");
      p.className = "muted";
      p.textContent = t.select;
      body.append(p);
      return;
    }
    const bo = element.businessObject;
    const id = document.createElement("p");
    id.append(`${t.id}：`);
    const code = document.createElement("code");
    code.textContent = bo.id;
    id.append(code, ` (${bo.$type.replace("bpmn:", "")})`);
    body.append(id);
    add(t.name, "name", bo.name, (v) => modeling.updateProperties(element, { name: v || undefined }));

    if (bo.$type === "bpmn:SequenceFlow") {
      add(t.condition, "condition", bo.conditionExpression && bo.conditionExpression.body,
        (v) => modeling.updateProperties(element, { conditionExpression: v ? expression(v) : undefined }),
        { multiline: true });
    }
    if (["bpmn:ExclusiveGateway", "bpmn:InclusiveGateway"].includes(bo.$type)) {
      const outgoing = bo.outgoing || [];
      const options = [["", t.no_default], ...outgoing.map((f) => [f.id, f.name ? `${f.name}（${f.id}）` : f.id])];
      add(t.default, "default", bo.default ? bo.default.id : "", (v) => modeling.updateProperties(element, {
        default: outgoing.find((f) => f.id === v) || undefined,
      }), { options });
    }
    if (["bpmn:UserTask", "bpmn:ManualTask", "bpmn:Task", "bpmn:StartEvent"].includes(bo.$type)) {
      const props = properties(bo);
      add(t.form, "formKey", props.formKey, (v) => setProperty(element, "formKey", v));
      if (bo.$type !== "bpmn:StartEvent") {
        add(t.groups, "candidateGroups", props.candidateGroups, (v) => setProperty(element, "candidateGroups", v));
      }
    }
    if (bo.$type === "bpmn:ServiceTask") {
      const operator = extension(bo, "spiffworkflow:serviceTaskOperator");
      add(t.topic, "topic", operator && operator.id, (v) => {
        const next = v ? moddle.createAny("spiffworkflow:serviceTaskOperator", SPIFF,
          { id: v, resultVariable: (operator && operator.resultVariable) || "result" }) : null;
        if (next && operator && operator.$children) next.$children = operator.$children;
        setExtension(element, "spiffworkflow:serviceTaskOperator", next);
      });
    }
    const timer = (bo.eventDefinitions || []).find((d) => d.$type === "bpmn:TimerEventDefinition");
    if (timer) {
      const text = (timer.timeDate && timer.timeDate.body) || "";
      const days = WORKING_DAYS.exec(text.trim());
      const setTimer = (body) => {
        const definition = moddle.create("bpmn:TimerEventDefinition", { timeDate: body ? expression(body) : undefined });
        modeling.updateProperties(element, { eventDefinitions: [definition] });
      };
      add(t.days, "workingDays", days ? days[1] : "", (v) => {
        if (/^\d+$/.test(v)) setTimer(`add_working_days(now(), ${Number(v)})`);
      }, { type: "number" });
      add(t.timer, "timeDate", text, (v) => setTimer(v), { multiline: true });
      // What the task page shows clerks as the deadline's basis (a spiffworkflow property).
      add(t.basis, "basis", properties(bo).basis, (v) => setProperty(element, "basis", v), { multiline: true });
    }
  }

  modeler.on("selection.changed", (e) => render(e.newSelection.length === 1 ? e.newSelection[0] : null));
  modeler.on("commandStack.changed", () => {
    if (current && modeler.get("elementRegistry").get(current.id)) render(current);
  });
  render(null);
}
