import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];
export type Connector = Schemas['ConnectorView'];
export type Task = Schemas['TaskView'];
export type TaskDetail = Schemas['TaskDetailView'];
export type Run = Schemas['RunView'];
export type RunRecord = Schemas['RunRecordView'];
export type Datacard = Schemas['DatacardView'];
export type Template = Schemas['TemplateView'];
export type Folder = Schemas['FolderView'];
export type Problem = Schemas['ProblemView'];
export type FieldError = Schemas['FieldErrorView'];
export type CreateTaskBody = Schemas['CreateTaskDto'];
export type UpdateTaskBody = Schemas['UpdateTaskDto'];
export type CreateConnectorBody = Schemas['CreateConnectorDto'];
export type UpdateConnectorBody = Schemas['UpdateConnectorDto'];
export type Mapping = Schemas['MappingDto'];
export type Webhook = Schemas['WebhookView'];
export type WebhookWithSecret = Schemas['WebhookWithSecretView'];
export type WebhookDelivery = Schemas['WebhookDeliveryView'];
export type WebhookAttempt = Schemas['WebhookAttemptView'];
export type WebhookEventType = Webhook['events'][number];
export type CreateWebhookBody = Schemas['CreateWebhookDto'];
export type UpdateWebhookBody = Schemas['UpdateWebhookDto'];

const TOKEN_KEY = 'scim-import.token';

/** The API token lives for the browser tab only (sessionStorage), never in localStorage or a cookie. */
export const tokenStore = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** An API error carrying its problem document (RFC 9457). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title);
  }

  /** 412: the resource changed since it was read (If-Match did not match); nothing was saved. */
  get staleVersion(): boolean {
    return this.status === 412;
  }

  /** Field errors by dotted path (`identity.attributes[0].local`). */
  get fieldErrors(): FieldError[] {
    return this.problem.errors ?? [];
  }
}

const auth: Middleware = {
  onRequest({ request }) {
    const token = tokenStore.get();
    if (token) request.headers.set('Authorization', `Bearer ${token}`);
    return request;
  },
};

/**
 * The ETag each resource was last answered with, by path (`/api/v1/tasks/<id>`): what a save
 * sends as If-Match, so it changes only the version the operator was shown.
 */
const etags = new Map<string, string>();
const etagRecorder: Middleware = {
  onResponse({ request, response }) {
    const etag = response.headers.get('ETag');
    if (etag && response.ok) etags.set(new URL(request.url).pathname, etag);
    return response;
  },
};

/** The ETag the resource at `path` was last read or saved with (undefined before). */
export const etagOf = (path: string): string | undefined => etags.get(path);

/** Typed client of the REST API, generated from docs/openapi.json (same origin). */
export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use(auth);
api.use(etagRecorder);

/** Unwraps an openapi-fetch result: the data, or an ApiError with the problem document. */
export async function call<T>(p: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await p;
  if (!response.ok) {
    const problem =
      error && typeof error === 'object' && 'status' in error
        ? (error as Problem)
        : {
            type: 'about:blank',
            title: response.statusText || 'Error',
            status: response.status,
            detail: typeof error === 'string' ? error : undefined,
          };
    if (response.status === 401) window.dispatchEvent(new Event('scim-import:unauthorized'));
    throw new ApiError(response.status, problem);
  }
  return data as T;
}
