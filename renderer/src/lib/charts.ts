/**
 * ECharts for the workbench: only the modules the views use (echarts/core keeps the bundle small), a light and a dark
 * theme that follow the page's colours, and export of any chart to PNG or SVG.
 */
import { init, registerTheme, use, type EChartsCoreOption } from 'echarts/core';
import { LineChart, ScatterChart, BarChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkPointComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer, SVGRenderer } from 'echarts/renderers';

use([LineChart, ScatterChart, BarChart, GridComponent, LegendComponent, MarkPointComponent, TooltipComponent, CanvasRenderer, SVGRenderer]);

export const COLORS = {
  light: { text: '#1d2330', muted: '#5f6b7c', line: '#dde1e7', kan: '#e0662f', mlp: '#2f7fd9', sym: '#b8328a', data: '#8892a0', front: '#268a57', background: '#ffffff' },
  dark: { text: '#e4e8ee', muted: '#95a0b2', line: '#2f3745', kan: '#f08a55', mlp: '#62a2f0', sym: '#e06bb8', data: '#7c889a', front: '#4cc38a', background: '#1a1f27' },
} as const;

for (const mode of ['light', 'dark'] as const) {
  const c = COLORS[mode];
  const axis = {
    axisLine: { lineStyle: { color: c.line } },
    axisTick: { lineStyle: { color: c.line } },
    axisLabel: { color: c.muted },
    splitLine: { lineStyle: { color: c.line, type: 'dashed' } },
    nameTextStyle: { color: c.muted },
  };
  registerTheme(`kan-${mode}`, {
    color: [c.kan, c.mlp, c.sym, c.front, '#8a63d2', '#c2a02b'],
    backgroundColor: 'transparent',
    textStyle: { color: c.text, fontFamily: 'system-ui, sans-serif' },
    legend: { textStyle: { color: c.muted } },
    tooltip: { backgroundColor: c.background, borderColor: c.line, textStyle: { color: c.text } },
    valueAxis: axis,
    logAxis: axis,
    categoryAxis: axis,
  });
}

export type ChartOption = EChartsCoreOption;

/** The chart's picture as an SVG document, drawn again off screen by the SVG renderer from the same option. */
export function chartToSvg(option: ChartOption, theme: string, width: number, height: number): string {
  const chart = init(null, theme, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ ...option, animation: false });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
