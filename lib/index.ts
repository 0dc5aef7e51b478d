export * from './whatsapp-token-guard';
export * from './whatsapp-token-guard-stack';
export * from './alarm-topic';
export * from './config';
export { alarmCatalog, VERDICT_PERIOD_MINUTES } from './token-alarms';
export type { AlarmId, AlarmSpec } from './token-alarms';
export { Metric, NAMESPACE, TOKEN_NAME_DIMENSION, Problem, CANDIDATE_LABEL, CONTRACT_VERSION } from '../lambda/contract';
export * from './guard-contract';
