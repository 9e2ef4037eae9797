/** Types of bundle-cache.mjs (plain JavaScript: the CLI launcher reads it before any TypeScript loader runs). */
export type BundleName = 'replay-worker' | 'trailwatch-cli';
export function projectRoot(moduleUrl: string | URL): string;
export function cacheDir(root: string): string;
export function bundleFile(root: string, key: string, name: BundleName): string;
export function bundleKey(root: string, esbuildVersion: string): Promise<string>;
export function esbuildVersion(root: string): Promise<string>;
export function bundlesWanted(name: BundleName): boolean;
export function cachedBundle(root: string, name: BundleName): Promise<URL | undefined>;
