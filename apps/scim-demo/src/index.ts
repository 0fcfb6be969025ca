export { startScimDemoServer } from './server';
export { DEVICE_ENDPOINT, DEVICE_SCHEMA_ID, DeviceResource, DeviceSchema } from './device-resource';
export { ENTERPRISE_USER_SCHEMA } from './demo-types';
export type {
  EnterpriseUserExtension,
  ScimDemoAdmin,
  ScimDemoAuth,
  ScimDemoSeed,
  ScimDemoServer,
  ScimDemoServerOptions,
  ScimMultiValue,
  ScimQuirks,
  ScimUserInput,
} from './demo-types';
