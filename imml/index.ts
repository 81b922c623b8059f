/** The IMML plug-in: one implementation shared by link prediction and classification. */
export * from './options';
export * from './losses';
export * from './plugin';
