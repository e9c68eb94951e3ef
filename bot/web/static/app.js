// The web chat: pick a person, long-poll their conversation, send what they type or click.
"use strict";

const state = {
  people: [],
  me: localStorage.getItem("kontobot.me") || "anna",
  conversation: null,
  version: "",
  poll: null,
  // After the person clicked something, focus goes to what the bot asks next.
  focusNext: false,
  // The page's own words, in the viewer's language (from /web/api/people).
  page: null,
};

const $ = (id) => document.getElementById(id);

// Each request carries an id of its own: the server stores what it receives under it, once.
function requestId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  return `${Date.now()}-${Math.random().toString(36).slice(2)}`;
}

async function api(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ as: state.me, id: requestId(), ...body }),
  });
  if (!response.ok) throw new Error((await response.text()) || `${response.status} ${response.statusText}`);
  return response.json();
}

// Problems are shown on the page (and read out: role="alert"), never left as silent failures.
function showProblem(text) {
  const status = $("status");
  status.textContent = text;
  status.hidden = !text;
}

function person() {
  return state.people.find((p) => p.key === state.me) || state.people[0];
}

async function loadPeople() {
  const response = await fetch(`/web/api/people?${new URLSearchParams({ as: state.me })}`);
  const data = await response.json();
  state.people = data.people;
  if (!state.people.some((p) => p.key === state.me)) state.me = state.people[0].key;
  showPage(data.page);
  renderNav();
}

// The page's own words come from the server's catalogue, in the language of the person acted as.
function showPage(page) {
  for (const element of document.querySelectorAll("[data-page]")) element.textContent = page[element.dataset.page];
  for (const element of document.querySelectorAll("[data-page-label]")) element.setAttribute("aria-label", page[element.dataset.pageLabel]);
  state.page = page;
  fitPlaceholders();
}

// A placeholder in full where it fits, else its short form (data-page-placeholder-short): on a
// phone the full one would be cut off mid-word, which tells nothing.
const ruler = document.createElement("canvas").getContext("2d");

function fits(input, text) {
  const style = getComputedStyle(input);
  ruler.font = style.font;
  const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return ruler.measureText(text).width <= room;
}

function fitPlaceholders() {
  if (!state.page) return;
  for (const element of document.querySelectorAll("[data-page-placeholder]")) {
    const full = state.page[element.dataset.pagePlaceholder];
    const short = state.page[element.dataset.pagePlaceholderShort];
    // A hidden box has no width to measure: it is fitted again once shown.
    if (!element.offsetParent) continue;
    element.placeholder = short && !fits(element, full) ? short : full;
  }
}

function renderNav() {
  const me = person();
  document.documentElement.lang = me.locale;
  $("people").replaceChildren(...state.people.map((p) => {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.person = p.key;
    button.setAttribute("aria-current", String(p.key === me.key));
    button.append(p.name);
    const role = document.createElement("span");
    role.className = "role";
    role.textContent = p.role;
    button.append(role);
    button.addEventListener("click", () => switchTo(p.key));
    li.append(button);
    return li;
  }));
  if (!me.conversations.some((c) => c.id === state.conversation)) state.conversation = me.conversations[0].id;
  $("conversations").replaceChildren(...me.conversations.map((c) => {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.conversation = c.id;
    button.setAttribute("aria-current", String(c.id === state.conversation));
    button.textContent = c.name;
    button.addEventListener("click", () => { state.conversation = c.id; renderNav(); restartPoll(); });
    li.append(button);
    return li;
  }));
  const current = me.conversations.find((c) => c.id === state.conversation);
  $("conversation-title").textContent = `${me.name} · ${current.name}`;
  $("composer").hidden = !state.conversation.startsWith("dm:");
  fitPlaceholders();
  $("locale").value = me.locale;
}

function switchTo(key) {
  state.me = key;
  localStorage.setItem("kontobot.me", key);
  state.conversation = null;
  renderNav();
  restartPoll();
  // Again from the server: the page's words follow the language of the person acted as.
  loadPeople().catch((error) => showProblem(String(error)));
}

function renderLog(messages) {
  const log = $("log");
  const seen = new Set();
  let added = null;
  for (const item of messages) {
    const id = `m${item.id}`;
    seen.add(id);
    const existing = document.getElementById(id);
    if (existing && existing.dataset.html === item.html) continue;
    const holder = document.createElement("div");
    holder.innerHTML = item.html;
    const article = holder.firstElementChild;
    article.dataset.html = item.html;
    if (existing) existing.replaceWith(article); else { log.append(article); added = article; }
  }
  for (const article of [...log.children]) if (!seen.has(article.id)) article.remove();
  if (added) {
    log.scrollTop = log.scrollHeight;
    if (state.focusNext && added.classList.contains("bot")) {
      state.focusNext = false;
      focusAnswer(added);
    }
  }
}

// The control that answers the newest question: a form's first refused field; its choices,
// boxes, picker or fields; else its main button; else the message box.
function focusAnswer(article) {
  const target = article.querySelector("[aria-invalid=\"true\"]") || article.querySelector(
    ".choices button, .checks input, .picker select, .text-input textarea, .form [data-field], .btn.primary",
  );
  if (target) target.focus();
  else if (!$("composer").hidden) $("say").focus();
}

function restartPoll() {
  if (state.poll) state.poll.abort();
  state.version = "";
  $("log").replaceChildren();
  const controller = new AbortController();
  state.poll = controller;
  pollLoop(controller, state.me, state.conversation);
}

async function pollLoop(controller, me, conversation) {
  let failures = 0;
  while (!controller.signal.aborted) {
    try {
      const query = new URLSearchParams({ as: me, conversation, after: state.version });
      const response = await fetch(`/web/api/messages?${query}`, { signal: controller.signal });
      if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
      const data = await response.json();
      if (controller.signal.aborted) return;
      if (failures) showProblem("");
      failures = 0;
      state.version = data.version;
      renderLog(data.messages);
    } catch (error) {
      if (controller.signal.aborted) return;
      failures += 1;
      if (failures > 1) showProblem(`Can't reach kontobot (${error.message}). Retrying…`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

function collect(button) {
  if (button.dataset.selected !== undefined) return [button.dataset.selected];
  const box = button.closest("[data-collect]");
  if (!box) return [];
  if (box.dataset.collect === "checkbox") return [...box.querySelectorAll("input:checked")].map((i) => i.value);
  return [...box.querySelector("select").selectedOptions].map((o) => o.value).filter(Boolean);
}

// A form's answers by field name: sent together with its one button.
function formValues(button) {
  const form = button.closest("[data-form]");
  if (!form) return {};
  return Object.fromEntries([...form.querySelectorAll("[data-field]")].map((f) => [f.dataset.field, f.value]));
}

async function click(button) {
  const article = button.closest("article");
  const text = article.querySelector("textarea[data-text]");
  button.disabled = true;
  try {
    state.focusNext = true;
    await api("/web/api/act", {
      // The clicked message: once answered, the server rewrites it to show the choice.
      message: article.dataset.id,
      action: button.dataset.action,
      value: button.dataset.value || "",
      selected: collect(button),
      text: text ? text.value : "",
      values: formValues(button),
    });
    showProblem("");
  } catch (error) {
    state.focusNext = false;
    showProblem(`That didn't go through: ${error.message}`);
  } finally {
    button.disabled = false;
  }
}

function askFirst(button) {
  const box = document.createElement("div");
  box.className = "confirm";
  box.setAttribute("role", "alertdialog");
  box.setAttribute("aria-label", button.dataset.confirmTitle);
  const title = document.createElement("p");
  title.innerHTML = "<strong></strong> ";
  title.firstChild.textContent = button.dataset.confirmTitle;
  title.append(button.dataset.confirmText);
  const yes = document.createElement("button");
  yes.type = "button";
  yes.className = "btn danger";
  yes.textContent = button.dataset.confirmYes;
  const no = document.createElement("button");
  no.type = "button";
  no.className = "btn";
  no.textContent = button.dataset.confirmNo;
  yes.addEventListener("click", () => { box.remove(); click(button); });
  no.addEventListener("click", () => { box.remove(); button.focus(); });
  box.append(title, yes, " ", no);
  button.closest(".actions").after(box);
  no.focus();
}

document.addEventListener("DOMContentLoaded", async () => {
  $("log").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    if (button.dataset.confirmTitle) askFirst(button); else click(button);
  });
  $("composer").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("say");
    // A blank message is sent too: the bot answers it rather than nothing happening.
    const text = input.value;
    input.value = "";
    try {
      await api("/web/api/say", { text });
      showProblem("");
    } catch (error) {
      // Give the text back, so nothing typed is lost.
      if (!input.value) input.value = text;
      showProblem(`That didn't go through: ${error.message}`);
    }
  });
  $("locale").addEventListener("change", async (event) => {
    try {
      await api("/web/api/locale", { locale: event.target.value });
      await loadPeople();
      restartPoll();
    } catch (error) {
      showProblem(`The language wasn't changed: ${error.message}`);
    }
  });
  window.addEventListener("resize", fitPlaceholders);
  await loadPeople();
  restartPoll();
});
