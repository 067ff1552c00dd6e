/** `import '@parajob/grpc/register'` registers the 'grpc' backend. */
import { register } from './index.js';

register();
