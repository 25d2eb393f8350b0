// Test support: the backends every suite runs against (describe.each over this list).
import { availableBackends } from '../backend/backend.js';
import '../index.js';

export const BACKENDS = availableBackends();
