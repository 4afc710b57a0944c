/** A Node.js request as a framework leaves it after its body parser ran. @public */
export interface ParsedRequestLike {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Whether the body stream was read to its end (by a body parser). */
  readonly readableEnded?: boolean;
  /** What a body parser made of the body (Express's `req.body`). */
  readonly body?: unknown;
  /** The body's bytes, which `@hono/node-server` hands to the Fetch handler when present. */
  rawBody?: unknown;
}

/**
 * Gives a Fetch handler mounted in a framework (through `@hono/node-server`'s
 * `getRequestListener`) the JSON body that the app's body parser already read: the stream is
 * spent by then, and the handler would wait for a body that never comes. The raw text the parser
 * kept (`text`, as koa-bodyparser keeps it) or else the parsed body (`body`, by default the
 * request's own, as Express's parsers leave it) goes back as `rawBody`; nothing is done when
 * the stream was not read, when a raw body is already there, or for a body that is not JSON.
 *
 * @example
 * ```ts
 * const listener = getRequestListener(handler);
 * app.use('/horae', (req, res) => {
 *   restoreParsedBody(req);
 *   void listener(req, res);
 * });
 * ```
 * @public
 */
export function restoreParsedBody(request: ParsedRequestLike, parsed: { readonly body?: unknown; readonly text?: unknown } = { body: request.body }): void {
  if (request.readableEnded !== true || request.rawBody !== undefined) return;
  const type = request.headers['content-type'];
  if (typeof type !== 'string' || !/^application\/([\w.+-]*\+)?json\b/i.test(type)) return;
  if (typeof parsed.text === 'string') {
    request.rawBody = Buffer.from(parsed.text, 'utf8');
  } else if (parsed.body !== undefined) {
    request.rawBody = Buffer.from(JSON.stringify(parsed.body), 'utf8');
  }
}
