/** The model store: stored models, pulls from a hub, and model references. */
export * from './store.js';
export * from './hub-id.js';
export * from './hub-client.js';
export * from './checksums.js';
export * from './download.js';
export * from './file-filter.js';
export * from './layout.js';
export * from './exporters.js';
export * from './pull-record.js';
export * from './pull.js';
export * from './progress.js';
export * from './resolve.js';
export * from './bundled.js';
export * from './bundled-card.js';
export * from './bundled-ship.js';
