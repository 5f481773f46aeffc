import { z } from 'zod';

// zod compiles fast parsers with `new Function`; the CSP forbids eval, and even zod's probe for it
// is reported as a violation. Interpreted parsing is fast enough for forms.
z.config({ jitless: true });
