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

/** Typed client of the REST API, generated from docs/openapi.json (same origin). */
export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use(auth);

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
