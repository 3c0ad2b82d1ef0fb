// Every workflow the worker runs. Workflow code imports nothing from Node.
export { extraUsageRequest } from './extra-usage-request.js';
