// The package's public API, compiled by jsii for every language: classes, interfaces and enums only (jsii cannot
// carry `export const`, free functions, string-literal unions or mapped types). The app's own parts (cdk.json
// parsing in config.ts, the app stack) are imported from their files by bin/app.ts and are not part of this API.
export { WhatsAppTokenGuard } from './whatsapp-token-guard';
export type { WhatsAppTokenGuardProps, TokenRotationOptions } from './whatsapp-token-guard';
export { WhatsAppTokenFleet } from './whatsapp-token-fleet';
export type { WhatsAppTokenFleetProps } from './whatsapp-token-fleet';
export { AlarmTopic } from './alarm-topic';
export type { AlarmTopicProps } from './alarm-topic';
export { FleetAlarm, FleetMetric, GuardAlarm, GuardContract, GuardEventType, GuardMetric, TokenRotationMode } from './guard-contract';
// The error class itself extends Error, which jsii cannot carry: JavaScript and TypeScript import it from
// 'whatsapp-token-guard/errors'; every language has GuardErrors.isPropsError().
export { GuardErrors } from './props-error';
export { NotificationFormat } from './whatsapp-token-guard';
export { GuardSecrets } from './empty-secret';
export type { EmptySecretProps } from './empty-secret';
export { GuardTags } from './guard-tags';
