export {
  HISTORY_GROUP,
  type HistorySummarizer,
  type HistorySummarizerDeps,
  startHistorySummarizer,
} from './summarizer.js';
