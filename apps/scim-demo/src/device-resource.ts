import SCIMMY from 'scimmy';

export const DEVICE_SCHEMA_ID = 'urn:example:scim:schemas:Device';
export const DEVICE_ENDPOINT = '/Devices';

const { Attribute, SchemaDefinition, Schema, Resource, Error: ScimError } = SCIMMY.Types;

const definition = new SchemaDefinition('Device', 'urn:ietf:params:scim:schemas:example:Device', 'A managed hardware device', [
  new Attribute('string', 'serialNumber', { required: true, caseExact: true, uniqueness: 'server', description: 'Manufacturer serial number.' }),
  new Attribute('string', 'displayName', { description: 'Human-readable device name.' }),
  new Attribute('string', 'model', { description: 'Hardware model.' }),
  new Attribute('string', 'manufacturer', { description: 'Hardware manufacturer.' }),
  new Attribute('string', 'platform', { canonicalValues: ['Windows', 'macOS', 'iOS', 'Android', 'Linux'], description: 'Operating system family.' }),
  new Attribute('string', 'status', { canonicalValues: ['active', 'retired', 'lost'], description: 'Lifecycle status.' }),
  new Attribute('complex', 'owner', { description: 'The user the device is assigned to.' }, [
    new Attribute('string', 'value', { description: 'Identifier of the owning user.' }),
    new Attribute('string', 'display', { description: 'Display name of the owning user.' }),
    new Attribute('reference', '$ref', { referenceTypes: ['User'], description: 'URI of the owning user.' }),
  ]),
]);
// scimmy only accepts "urn:ietf:params:scim:schemas:" ids at construction; the demo's generic type
// deliberately lives in a non-IETF namespace, as custom resource types of real products do.
definition.id = DEVICE_SCHEMA_ID;

// scimmy calls handlers as (resource, instance?, ctx?); its own typings leave the arguments open too.
type Handler = (...args: never[]) => unknown;
type Invoke = (...args: unknown[]) => unknown;
const notImplemented = (method: string): Handler => () => {
  throw new ScimError(501, '', `Method '${method}' not implemented by resource 'Device'`);
};

/** SCIM schema class of the generic Device resource (coerces records in and out like scimmy's own schemas). */
export class DeviceSchema extends Schema {
  static override get id(): string {
    return definition.id;
  }

  static override get definition(): InstanceType<typeof SchemaDefinition> {
    return definition;
  }

  constructor(resource: object, direction = 'both', basepath?: string, filters?: unknown) {
    super(resource, direction);
    Object.assign(this, (definition as any).coerce(resource, direction, basepath, filters));
  }
}

/** SCIM resource type for /Devices, following the contract of scimmy's built-in User and Group resources. */
export class DeviceResource extends Resource<DeviceSchema> {
  private static basepathValue?: string;
  private static ingressHandler: Handler = notImplemented('ingress');
  private static egressHandler: Handler = notImplemented('egress');
  private static degressHandler: Handler = notImplemented('degress');

  static override get endpoint(): string {
    return DEVICE_ENDPOINT;
  }

  static override get schema(): typeof Schema {
    return DeviceSchema;
  }

  static override basepath: typeof Resource.basepath = (path?: string) => {
    // undefined until the router sets it: scimmy's bulk handling falls back to the endpoint on undefined
    if (path === undefined) return DeviceResource.basepathValue as string;
    DeviceResource.basepathValue = path.endsWith(DEVICE_ENDPOINT) ? path : `${path}${DEVICE_ENDPOINT}`;
    return DeviceResource;
  };

  static override ingress: typeof Resource.ingress = (handler) => {
    DeviceResource.ingressHandler = handler as Handler;
    return DeviceResource;
  };

  static override egress: typeof Resource.egress = (handler) => {
    DeviceResource.egressHandler = handler as Handler;
    return DeviceResource;
  };

  static override degress: typeof Resource.degress = (handler) => {
    DeviceResource.degressHandler = handler as Handler;
    return DeviceResource;
  };

  override async read(ctx?: unknown): Promise<any> {
    try {
      const source = await (DeviceResource.egressHandler as Invoke)(this, ctx);
      const target = this.id ? [source].flat().shift() : source;
      const basepath = DeviceResource.basepathValue;
      if (!this.id && Array.isArray(target)) {
        return new SCIMMY.Messages.ListResponse(
          target.map((d) => new DeviceSchema(d, 'out', basepath, this.attributes)) as any[],
          this.constraints as any,
        );
      }
      if (target instanceof Object) return new DeviceSchema(target, 'out', basepath, this.attributes);
      throw new ScimError(500, '', `Unexpected ${target === undefined ? 'empty' : 'invalid'} value returned by egress handler`);
    } catch (ex) {
      throw toScimError(ex, `Resource ${this.id} not found`);
    }
  }

  override async write(instance: unknown, ctx?: unknown): Promise<any> {
    const verb = this.id ? 'PUT' : 'POST';
    if (instance === undefined) throw new ScimError(400, 'invalidSyntax', `Missing request body payload for ${verb} operation`);
    if (Object(instance) !== instance || Array.isArray(instance)) {
      throw new ScimError(400, 'invalidSyntax', `Operation ${verb} expected request body payload to be single complex value`);
    }
    try {
      const target = await (DeviceResource.ingressHandler as Invoke)(this, new DeviceSchema(instance as object, 'in'), ctx);
      if (target instanceof Object) return new DeviceSchema(target, 'out', DeviceResource.basepathValue, this.attributes);
      throw new ScimError(500, '', 'Unexpected value returned by ingress handler');
    } catch (ex) {
      throw toScimError(ex, `Resource ${this.id} not found`);
    }
  }

  override async patch(message: any, ctx?: unknown): Promise<any> {
    if (!this.id) throw new ScimError(404, '', 'PATCH operation must target a specific resource');
    if (Object(message) !== message || Array.isArray(message)) {
      throw new ScimError(400, 'invalidSyntax', 'PatchOp request expected message body to be single complex value');
    }
    const current = await this.read(ctx);
    const patched = await new SCIMMY.Messages.PatchOp(message).apply(current, async (instance: unknown) => this.write(instance, ctx));
    return patched ? new DeviceSchema(patched, 'out', DeviceResource.basepathValue, this.attributes) : undefined;
  }

  override async dispose(ctx?: unknown): Promise<void> {
    if (!this.id) throw new ScimError(404, '', 'DELETE operation must target a specific resource');
    try {
      await (DeviceResource.degressHandler as Invoke)(this, ctx);
    } catch (ex) {
      throw toScimError(ex, `Resource ${this.id} not found`);
    }
  }
}

function toScimError(ex: unknown, notFound: string): unknown {
  if (ex instanceof ScimError) return ex;
  if (ex instanceof TypeError) return new ScimError(400, 'invalidValue', ex.message);
  return new ScimError(404, '', notFound);
}
