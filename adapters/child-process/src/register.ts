/** `import '@parajob/child-process/register'` registers the 'child-process' backend. */
import { register } from './index.js';

register();
