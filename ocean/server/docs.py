"""``GET /docs``: interactive documentation of the catalog server's API, one self-contained
page (no CDN, no package assets: it works offline). It reads ``/openapi.json`` and lists
every operation with its parameters and its request and response schemas; an operation's
form sends the request with the token the page got from ``POST /v1/auth/access_token``
and shows the answer."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Ocean catalog: Port API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1em;color:#222}
h1{font-size:1.4em}code,pre,textarea,input{font:12px/1.4 ui-monospace,monospace}
details{border:1px solid #ccd;border-radius:6px;margin:.4em 0;background:#fafbff}
summary{cursor:pointer;padding:.45em .6em}summary b{display:inline-block;width:5em}
.get b{color:#1a7f37}.post b{color:#0969da}.put b{color:#9a6700}.patch b{color:#8250df}
.delete b{color:#cf222e}.op{padding:.2em 1em 1em}pre{background:#f3f4f8;padding:.6em;
overflow:auto;max-height:22em}textarea{width:100%;min-height:7em}label{display:block;margin:.2em 0}
label span{display:inline-block;min-width:14em}#auth{background:#eef;padding:.6em;border-radius:6px}
button{margin-top:.4em}
</style></head><body>
<h1>Ocean catalog: Port API</h1>
<p>The routes this server answers, from <a href="openapi.json">openapi.json</a>.
Every route but the token route needs a token: get one here first.</p>
<div id="auth"><label><span>clientId</span><input id="cid" size="40"></label>
<label><span>clientSecret</span><input id="csecret" size="40" type="password"></label>
<button id="login">Get a token</button> <span id="who">no token yet</span></div>
<div id="ops">loading openapi.json ...</div>
<script>
"use strict";
let token = "";
const el = (tag, attrs, ...kids) => {
  const node = document.createElement(tag);
  Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
  kids.forEach(k => node.append(k));
  return node;
};
const pretty = value => JSON.stringify(value, null, 2);
function resolve(spec, schema) {
  if (schema && schema.$ref) {
    return schema.$ref.split("/").slice(1).reduce((node, key) => node[key], spec);
  }
  return schema;
}
function example(spec, schema, depth) {
  schema = resolve(spec, schema) || {};
  if (depth > 4) return null;
  if (schema.example !== undefined) return schema.example;
  if (schema.enum) return schema.enum[0];
  const kind = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (kind === "object" || schema.properties) {
    const out = {};
    (schema.required || Object.keys(schema.properties || {}).slice(0, 4)).forEach(name => {
      out[name] = example(spec, (schema.properties || {})[name], depth + 1);
    });
    return out;
  }
  if (kind === "array") return [];
  if (kind === "number" || kind === "integer") return 0;
  if (kind === "boolean") return false;
  if (schema.oneOf || schema.anyOf) return example(spec, (schema.oneOf || schema.anyOf)[0], depth + 1);
  return "";
}
function operation(spec, path, method, op) {
  const box = el("div", {class: "op"});
  if (op.description) box.append(el("p", {}, op.description));
  const inputs = {};
  (op.parameters || []).forEach(p => {
    const input = el("input", {size: "50", placeholder: p.required ? "required" : ""});
    inputs[p.name] = [p, input];
    box.append(el("label", {}, el("span", {}, `${p.name} (${p.in})`), input));
  });
  let body = null;
  const content = op.requestBody && op.requestBody.content["application/json"];
  if (content) {
    body = el("textarea", {});
    body.value = pretty(example(spec, content.schema, 0));
    box.append(el("div", {}, "request body"), body,
      el("details", {}, el("summary", {}, "request schema"), el("pre", {}, pretty(content.schema))));
  }
  Object.entries(op.responses || {}).forEach(([status, answer]) => {
    const schema = answer.content && answer.content["application/json"].schema;
    box.append(el("details", {}, el("summary", {}, `${status}: ${answer.description}`),
      el("pre", {}, pretty(schema || {}))));
  });
  const out = el("pre", {}, "");
  const send = el("button", {}, "Send");
  send.onclick = async () => {
    let url = path;
    const query = new URLSearchParams();
    Object.values(inputs).forEach(([p, input]) => {
      if (!input.value) return;
      if (p.in === "path") url = url.replace(`{${p.name}}`, encodeURIComponent(input.value));
      else if (p.in === "query") query.append(p.name, input.value);
    });
    const init = {method: method.toUpperCase(), headers: {}};
    if (token) init.headers.Authorization = `Bearer ${token}`;
    if (body) { init.headers["Content-Type"] = "application/json"; init.body = body.value; }
    const qs = query.toString();
    const answer = await fetch(qs ? `${url}?${qs}` : url, init);
    const text = await answer.text();
    let shown = text;
    try { shown = pretty(JSON.parse(text)); } catch (e) { /* not JSON */ }
    out.textContent = `${answer.status} ${answer.statusText}\\n${shown}`;
  };
  box.append(send, out);
  return el("details", {class: method}, el("summary", {}, el("b", {}, method.toUpperCase()),
    el("code", {}, path), " ", op.summary || ""), box);
}
async function load() {
  const spec = await (await fetch("openapi.json")).json();
  const ops = document.getElementById("ops");
  ops.textContent = "";
  Object.entries(spec.paths).forEach(([path, methods]) => {
    Object.entries(methods).forEach(([method, op]) => ops.append(operation(spec, path, method, op)));
  });
}
document.getElementById("login").onclick = async () => {
  const answer = await fetch("v1/auth/access_token", {method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({clientId: document.getElementById("cid").value,
      clientSecret: document.getElementById("csecret").value})});
  const body = await answer.json();
  token = body.accessToken || "";
  document.getElementById("who").textContent = token ? "token set" : (body.message || "refused");
};
load();
</script></body></html>
"""


async def docs_page(_: Request) -> Response:
    """Interactive documentation of this API (a self-contained page)."""
    return HTMLResponse(_PAGE)
