/**
 * Serializing columnar batches (session.onColumns) as text, JSON lines or CSV, by serializers
 * compiled per event. See event-writer.ts.
 */
export { EventWriter } from './event-writer.js';
export type { OutputFormat, OutputOptions } from './options.js';
