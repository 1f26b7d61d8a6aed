export { CollabRouter, type CollabRouterDeps, type CollabRouterOptions } from './collab-router.js';
export { CollabMessage, CollabRequest, WireError } from './messages.js';
export { type ServeCollabDeps, type ServedEngine, serveCollab } from './serve-collab.js';
