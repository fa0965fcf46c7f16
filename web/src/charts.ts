/**
 * Charts on ECharts (canvas: works without a GPU, thousands of points with zoom, pan and
 * hover), with only the parts used bundled. Each chart resizes with its box.
 */
import { BarChart, LineChart, ScatterChart } from 'echarts/charts';
import { DataZoomComponent, GridComponent, LegendComponent, TitleComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, ScatterChart, DataZoomComponent, GridComponent, LegendComponent, TitleComponent, TooltipComponent, VisualMapComponent, CanvasRenderer]);

export type Chart = echarts.ECharts;
export type ChartOption = echarts.EChartsCoreOption;

const charts = new Set<Chart>();
window.addEventListener('resize', () => charts.forEach((chart) => chart.resize()));

/** A chart in `element` (which needs a height from CSS); disposed with `disposeCharts`. */
export function chartIn(element: HTMLElement, option: ChartOption): Chart {
  const chart = echarts.init(element, undefined, { renderer: 'canvas' });
  chart.setOption({ animation: false, ...option });
  charts.add(chart);
  return chart;
}

export function disposeChart(chart: Chart): void {
  charts.delete(chart);
  chart.dispose();
}

/** Frees every chart (called when the page changes). */
export function disposeCharts(): void {
  charts.forEach((chart) => chart.dispose());
  charts.clear();
}

export const PALETTE = ['#5470c6', '#91cc75', '#fac858', '#ee6666', '#73c0de', '#3ba272', '#fc8452', '#9a60b4', '#ea7ccc', '#2f4554', '#61a0a8', '#d48265'];
