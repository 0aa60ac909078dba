// @ts-check
'use strict';
// A local OpenAI-compatible chat completions server for tests and scenarios, on
// 127.0.0.1. `reply` says how it behaves; every request body it receives is kept
// (`requests`), so tests can prove what left the Action.
//
//   a decision (allow, challenge, deny, candidate_1, none, ...): a valid answer with it
//   low_confidence  a valid answer with confidence 0.2
//   malformed       content that is not JSON
//   fenced          the JSON wrapped in a markdown fence
//   wrong_schema    JSON with other keys
//   extra_key       the right keys and one more
//   refusal         a refusal message
//   truncated       finish_reason "length"
//   slow            a valid "allow" after `delayMs` (default 3000)
//   trickle         headers at once, the body after `delayMs`
//   hang            never answers
//   429, 500, 404   that HTTP status
//   echo_options    chooses the first option offered (the least strict)

const http = require('node:http');

/**
 * A chat completion body.
 * @param {string | null} content
 * @param {string} [finishReason]
 * @param {object} [message] more fields of the message
 * @returns {string}
 */
function completion(content, finishReason = 'stop', message = {}) {
  return JSON.stringify({
    id: 'chatcmpl-harness',
    object: 'chat.completion',
    created: 0,
    model: 'harness',
    choices: [{ index: 0, message: { role: 'assistant', content, ...message }, finish_reason: finishReason }],
    usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  });
}

/**
 * A completion whose content is a valid answer.
 * @param {string} decision
 * @param {number} [confidence]
 * @returns {string}
 */
function answer(decision, confidence = 0.9) {
  return completion(JSON.stringify({ decision, confidence, rationale: 'harness answer' }));
}

class FakeLlm {
  /** @param {{ reply?: Harness.LlmReply, delayMs?: number }} [options] */
  constructor({ reply = 'allow', delayMs = 3000 } = {}) {
    this.reply = reply;
    this.delayMs = delayMs;
    /** @type {Harness.LlmRequest[]} */
    this.requests = [];
    /** @type {Set<import('node:net').Socket>} */
    this.sockets = new Set();
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  /** @returns {Promise<this>} */
  async start() {
    await /** @type {Promise<void>} */ (new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve)));
    /** The base URL to give as LLM_BASE_URL. */
    this.url = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (this.server.address()).port}/v1`;
    return this;
  }

  async stop() {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /**
   * @param {import('node:http').IncomingMessage} req
   * @param {import('node:http').ServerResponse} res
   */
  handle(req, res) {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      let parsed = null;
      try {
        parsed = JSON.parse(body);
      } catch {
        /* kept as text */
      }
      this.requests.push({ path: req.url, headers: req.headers, body, json: parsed });
      const options = (() => {
        try {
          return JSON.parse(parsed.messages[1].content).options;
        } catch {
          return [];
        }
      })();
      const send = (status, text) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(text);
      };
      switch (this.reply) {
        case 'hang':
          return undefined;
        case 'slow':
          return setTimeout(() => send(200, answer('allow')), this.delayMs).unref();
        case 'trickle':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"choices":');
          return setTimeout(() => res.end(`${answer('allow').slice('{"choices":'.length)}`), this.delayMs).unref();
        case '429':
          return send(429, '{"error":{"message":"rate limited"}}');
        case '500':
          return send(500, '{"error":{"message":"boom"}}');
        case '404':
          return send(404, '{"error":{"message":"no such model"}}');
        case 'malformed':
          return send(200, completion('Sure! I think you should allow this login.'));
        case 'fenced':
          return send(200, completion(`\`\`\`json\n${JSON.stringify({ decision: 'allow', confidence: 0.9, rationale: 'x' })}\n\`\`\``));
        case 'wrong_schema':
          return send(200, completion(JSON.stringify({ verdict: 'allow', score: 0.9 })));
        case 'extra_key':
          return send(200, completion(JSON.stringify({ decision: 'allow', confidence: 0.9, rationale: 'x', override_floor: true })));
        case 'refusal':
          return send(200, completion(null, 'stop', { refusal: 'I cannot help with that.' }));
        case 'truncated':
          return send(200, completion('{"decision":"allow","confidence":0.9,"rat', 'length'));
        case 'low_confidence':
          return send(200, answer('allow', 0.2));
        case 'echo_options':
          return send(200, answer(options[0] ?? 'allow'));
        default:
          return send(200, answer(this.reply));
      }
    });
  }
}

module.exports = { FakeLlm, completion, answer };
