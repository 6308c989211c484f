/** The library version written into every model document (kept equal to package.json by a test). */
export const LIBRARY_VERSION = '0.1.0';
