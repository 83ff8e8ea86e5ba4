// Transition re-export: the limiter moved to util/ (it serves the rendezvous, the home and the
// devices alike). Remove once home/agent.ts and rendezvous/server.ts import ../util/rate-limit.js.
export { RateLimiter, type RateLimitOptions } from '../util/rate-limit.js';
