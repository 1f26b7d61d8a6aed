export { authorize, type Need } from './access.js';
export { API_PREFIX, buildApi, registerApi } from './api.js';
export { type ApiDeps, type ApiEngine, DEFAULT_BODY_LIMIT } from './deps.js';
export { type ErrorBody, statusOf, toTandemError } from './errors.js';
export { userIdFromName } from './routes/dev-sign-in.js';
export { MAX_OPS_PER_PAGE } from './schemas.js';
