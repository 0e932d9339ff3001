/** The Content-Security-Policy of the workbench page, shared by the web host and the Electron shell. */

/**
 * Only the page's own scripts (no inline script, no eval), inline styles (Vue style bindings and charts set them),
 * images and fonts from the page or data:/blob: URLs; requests only to `connect`; no plugins, frames, forms or <base>.
 */
export function rendererCsp(connect: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src ${connect}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
}
