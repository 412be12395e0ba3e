// The statistics dashboard: one fetch of data.json (the engine's SQL aggregates for the
// caller's region), then one ECharts chart per [data-chart] element. Needs
// vendor/echarts/echarts.min.js loaded first (window.echarts). Charts resize with the page.
import { api } from "./api.js";
import { readData } from "./data.js";

const root = document.querySelector('[data-module="dashboard"]');

function bar(names, series, horizontal = false) {
  const category = { type: "category", data: names, axisLabel: { interval: 0, width: 120, overflow: "truncate" } };
  const value = { type: "value", minInterval: 1 };
  return {
    tooltip: { trigger: "axis" },
    legend: series.length > 1 ? { top: 0 } : undefined,
    grid: { left: 8, right: 16, top: series.length > 1 ? 32 : 16, bottom: 8, containLabel: true },
    xAxis: horizontal ? value : category,
    yAxis: horizontal ? category : value,
    series: series.map((s) => ({ type: "bar", stack: s.stack, name: s.name, data: s.data })),
  };
}

// A chart with nothing to draw says so in words (an empty pie would draw as equal halves).
function empty(text) {
  return { title: { text, left: "center", top: "middle", textStyle: { fontSize: 14, fontWeight: "normal", color: "#555" } } };
}

function options(figures, labels) {
  const channelNames = Object.keys(figures.channels);
  const departmentNames = figures.departments.map((d) => labels.departments[d.department] || d.department);
  const all = {
    months: bar(figures.months, channelNames.map((c) => ({
      name: labels.channels[c] || c, stack: "cases", data: figures.channels[c] }))),
    backlog: bar(figures.backlog.map((b) => b.stage), [{ name: labels.open, data: figures.backlog.map((b) => b.open) }], true),
    on_time: {
      tooltip: { trigger: "item" },
      legend: { top: 0 },
      series: [{ type: "pie", radius: ["40%", "68%"], top: 24, data: [
        { name: labels.onTime, value: figures.on_time.on_time },
        { name: labels.late, value: figures.on_time.completed - figures.on_time.on_time }] }],
    },
    durations: bar(figures.durations.map((d) => d.stage), [{ name: labels.days, data: figures.durations.map((d) => d.days) }], true),
    overdue: bar(figures.overdue.map((o) => labels.groups[o.group] || o.group.replace(/^dept:/, "")), [{ name: labels.overdue, data: figures.overdue.map((o) => o.open) }], true),
    ratings: bar(labels.scores, [{ name: labels.ratings, data: [1, 2, 3, 4, 5].map((s) => figures.ratings[String(s)]) }]),
    departments: bar(departmentNames, [
      { name: labels.dispatched, data: figures.departments.map((d) => d.dispatched) },
      { name: labels.open, data: figures.departments.map((d) => d.open) },
      { name: labels.overdue, data: figures.departments.map((d) => d.overdue) }], true),
    department_days: bar(departmentNames, [{ name: labels.workingDays,
      data: figures.departments.map((d) => d.working_days ?? 0) }], true),
    by_hour: bar(figures.by_hour.map((_, h) => `${String(h).padStart(2, "0")}:00`), [{ name: labels.cases, data: figures.by_hour }]),
    by_weekday: bar(labels.weekdays, [{ name: labels.cases, data: figures.by_weekday }]),
    by_region: bar(figures.by_region.map((r) => r.region), [{ name: labels.cases, data: figures.by_region.map((r) => r.cases) }], true),
  };
  all.by_hour.xAxis.axisLabel.interval = "auto"; // 24 hours do not fit a phone's width one by one
  const counts = {
    months: figures.months.length, backlog: figures.backlog.length, on_time: figures.on_time.completed,
    durations: figures.durations.length, overdue: figures.overdue.length,
    ratings: Object.values(figures.ratings).reduce((a, b) => a + b, 0),
    departments: figures.departments.length,
    department_days: figures.departments.filter((d) => d.working_days !== null).length,
    by_hour: figures.cases, by_weekday: figures.cases, by_region: figures.by_region.length,
  };
  for (const name of Object.keys(all)) if (!counts[name]) all[name] = empty(labels.none);
  return all;
}

if (root) {
  const labels = readData(root.dataset.labels);
  const status = root.querySelector("[data-status]");
  try {
    const figures = await api(root.dataset.url);
    root.querySelector('[data-figure="cases"]').textContent = String(figures.cases);
    const rate = figures.on_time.rate;
    root.querySelector('[data-figure="on_time"]').textContent = rate === null ? labels.none : `${(rate * 100).toFixed(1)}%`;
    root.querySelector('[data-figure="complaints_open"]').textContent = String(figures.complaints_open);
    const all = options(figures, labels);
    const charts = [];
    for (const element of root.querySelectorAll("[data-chart]")) {
      const chart = window.echarts.init(element, null, { renderer: "svg" });
      chart.setOption(all[element.dataset.chart]);
      charts.push(chart);
    }
    window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
    root.dataset.ready = "true";
  } catch (err) {
    status.textContent = err.message;
    root.dataset.ready = "error";
  }
}
