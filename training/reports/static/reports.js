// Leadership reports — draws the charts of the dashboard and the person profile with Apache ECharts (served by
// the app). Each chart's data sits in its container's data-chart attribute (JSON); the table beside it holds the
// same figures, so the page is complete without this script. No inline script or style (CSP): sizes are set
// through the CSSOM and tooltips are drawn on the canvas (richText), never as HTML.
(function () {
  "use strict";
  if (!window.echarts) { return; }

  var BAND_COLORS = { excellent: "#1a7f37", good: "#1f5fa8", pass: "#d4a017", below: "#c62828" };
  var LINE_COLORS = ["#1f5fa8", "#b22222", "#1a7f37", "#9a6700", "#6f42c1"];
  var FONT = "\"PingFang SC\", \"Microsoft YaHei\", \"Noto Sans CJK SC\", sans-serif";

  function bandOf(value, bands) {
    if (value === null || value === undefined) { return null; }
    for (var i = 0; i < bands.length; i += 1) {
      if (value >= bands[i].min) { return bands[i].band; }
    }
    return null;
  }

  function base() {
    return {
      animationDuration: 400,
      textStyle: { fontFamily: FONT },
      tooltip: { renderMode: "richText", confine: true },
      grid: { left: 8, right: 24, top: 16, bottom: 8, containLabel: true }
    };
  }

  function bar(spec) {
    var option = base();
    option.tooltip.trigger = "axis";
    option.tooltip.axisPointer = { type: "shadow" };
    option.xAxis = { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } };
    option.yAxis = { type: "category", data: spec.labels, inverse: true, axisLabel: { width: 180, overflow: "truncate" } };
    option.series = [{
      type: "bar", name: spec.title, barMaxWidth: 18,
      data: spec.values.map(function (value) {
        var band = bandOf(value, spec.bands);
        return value === null ? "-" : { value: value, itemStyle: { color: BAND_COLORS[band] || "#999" } };
      }),
      label: { show: true, position: "right", formatter: "{c}" }
    }];
    return option;
  }

  function heatmap(spec, element) {
    element.style.height = Math.max(160, 72 + spec.rows.length * 34) + "px";
    var option = base();
    option.grid.bottom = 48;
    option.xAxis = { type: "category", data: spec.columns, position: "top", splitArea: { show: true } };
    option.yAxis = { type: "category", data: spec.rows, inverse: true, splitArea: { show: true },
                     axisLabel: { width: 180, overflow: "truncate" } };
    option.visualMap = {
      type: "piecewise", orient: "horizontal", left: "center", bottom: 0,
      pieces: spec.bands.map(function (band, index) {
        var piece = { gte: band.min, label: band.label, color: BAND_COLORS[band.band] };
        if (index > 0) { piece.lt = spec.bands[index - 1].min; }
        return piece;
      })
    };
    option.tooltip.formatter = function (params) {
      return spec.rows[params.value[1]] + "\n" + spec.columns[params.value[0]] + ": " + params.value[2];
    };
    option.series = [{ type: "heatmap", name: spec.title, data: spec.values,
                       label: { show: true, color: "#fff" } }];
    return option;
  }

  function line(spec) {
    var option = base();
    option.tooltip.trigger = "axis";
    option.grid.top = 40;
    option.legend = { top: 0, data: spec.series.map(function (s) { return s.name; }) };
    option.xAxis = { type: "category", data: spec.labels, boundaryGap: false };
    option.yAxis = { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } };
    option.series = spec.series.map(function (s, index) {
      return { type: "line", name: s.name, data: s.values.map(function (v) { return v === null ? "-" : v; }),
               connectNulls: false, symbolSize: 6, lineStyle: { color: LINE_COLORS[index % LINE_COLORS.length] },
               itemStyle: { color: LINE_COLORS[index % LINE_COLORS.length] } };
    });
    return option;
  }

  function radar(spec) {
    var option = base();
    option.radar = { radius: "65%", indicator: spec.labels.map(function (label) { return { name: label, max: 100 }; }) };
    option.series = [{ type: "radar", name: spec.title, symbolSize: 5,
                       data: [{ value: spec.values, name: spec.title, areaStyle: { opacity: 0.25 } }] }];
    return option;
  }

  var BUILDERS = { bar: bar, heatmap: heatmap, line: line, radar: radar };
  var charts = [];

  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var spec;
    try { spec = JSON.parse(element.getAttribute("data-chart")); } catch (error) { return; }
    var build = BUILDERS[spec.kind];
    if (!build) { return; }
    var option = build(spec, element);
    var chart = window.echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(option);
    element.classList.add("is-drawn");
    charts.push(chart);
  });

  function resizeAll() { charts.forEach(function (chart) { chart.resize(); }); }
  var pending = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(resizeAll, 150);
  });
  window.addEventListener("beforeprint", resizeAll);
  window.addEventListener("afterprint", resizeAll);
})();
