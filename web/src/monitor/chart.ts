// Chart.js with only what the monitor draws: line and bar charts on
// category and linear scales, with legend and tooltips. Imported by the
// monitor page alone, so it loads with that route, not with the app.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js'

Chart.register(LineController, LineElement, PointElement, BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip)
Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily || 'system-ui, sans-serif'
Chart.defaults.color = '#57606a'

export { Chart }
export type { ChartDataset } from 'chart.js'
