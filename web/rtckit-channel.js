// rtckit data channels, shared by the viewer, publish and call pages: the scripting API on the
// page's window.rtckit (send, sendData, messages, sent, channelState, 'message' and
// 'channelstate' events; docs/web-api.md) and the page's small message panel (#chat).
// Load it after rtckit-signalling.js; it defines window.rtckitChannel.
//
// The elements' `data-channel=true` negotiates one ordered reliable channel labelled `rtckit` per
// session: text messages are strings, binary ones ArrayBuffers of up to 256 KiB.
(() => {
  'use strict';

  const LABEL = 'rtckit';
  const MAX_BINARY = 256 * 1024; // what the elements accept in one binary message
  const KEEP_MESSAGES = 1000;    // rtckit.messages keeps the newest ones
  const KEEP_LINES = 200;        // lines in the panel

  // Adds the data-channel API to @api (an EventTarget: the page's window.rtckit) and wires the
  // panel if the page has one. Returns the page's handle: adopt(channel) for every channel of
  // the session (ours or the remote's), reset() when the session ends.
  function attach(api) {
    let channels = []; // the session's channels, newest last
    let everOpen = false;

    api.messages = [];
    api.sent = 0;
    api.channelState = 'none'; // none | connecting | open | closed

    // The newest open channel labelled `rtckit`: other labels (`control`) are not for chat.
    function openChannel() {
      for (let i = channels.length - 1; i >= 0; i--) {
        const ch = channels[i];
        if (ch.label === LABEL && ch.readyState === 'open') return ch;
      }
      return null;
    }

    function sendRaw(data, shown) {
      const ch = openChannel();
      if (!ch) return false;
      try {
        ch.send(data);
      } catch (e) {
        console.warn('rtckit: data channel send', e);
        return false;
      }
      api.sent++;
      ui.line('out', shown);
      return true;
    }

    api.send = text => sendRaw(String(text), String(text));

    api.sendData = data => {
      let buf;
      if (data instanceof ArrayBuffer) buf = data;
      else if (ArrayBuffer.isView(data)) buf = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
      else throw new TypeError('rtckit.sendData: expected an ArrayBuffer or a typed array');
      if (buf.byteLength > MAX_BINARY) {
        console.warn(`rtckit: binary message of ${buf.byteLength} bytes is over the ${MAX_BINARY} byte limit`);
        return false;
      }
      return sendRaw(buf, binaryText(buf.byteLength));
    };

    function updateState() {
      let s = 'none';
      if (channels.some(c => c.label === LABEL && c.readyState === 'open')) s = 'open';
      else if (channels.some(c => c.label === LABEL && c.readyState === 'connecting')) s = 'connecting';
      else if (everOpen || channels.length) s = 'closed';
      if (s === 'open') everOpen = true;
      if (api.channelState === s) return;
      api.channelState = s;
      ui.state(s);
      api.dispatchEvent(new CustomEvent('channelstate', { detail: s }));
    }

    function adopt(ch) {
      ch.binaryType = 'arraybuffer';
      channels.push(ch);
      ch.addEventListener('open', updateState);
      ch.addEventListener('close', () => {
        channels = channels.filter(c => c !== ch);
        updateState();
      });
      ch.addEventListener('error', ev => console.warn(`rtckit: data channel '${ch.label}'`, ev.error || ev));
      ch.addEventListener('message', ev => {
        const msg = { label: ch.label, data: ev.data, at: Date.now() };
        api.messages.push(msg);
        if (api.messages.length > KEEP_MESSAGES) api.messages.splice(0, api.messages.length - KEEP_MESSAGES);
        ui.line('in', typeof ev.data === 'string' ? ev.data : binaryText(ev.data.byteLength));
        api.dispatchEvent(new CustomEvent('message', { detail: msg }));
      });
      updateState();
    }

    function reset() {
      const old = channels;
      channels = [];
      old.forEach(c => { try { c.close(); } catch (e) { /* already closed */ } });
      updateState();
    }

    const ui = panel(api);
    return { adopt, reset };
  }

  function binaryText(n) {
    return `[${n} bytes of binary data]`;
  }

  // The page's panel: #chat (a <details> on the viewer and publish pages, hidden until a channel
  // opens), #chat-log, #chat-form with #chat-input and #chat-send, #chat-count. All optional.
  function panel(api) {
    const $ = id => document.getElementById(id);
    const root = $('chat'), log = $('chat-log'), form = $('chat-form'), input = $('chat-input');
    const count = $('chat-count');
    let received = 0;

    function setEnabled(open) {
      if (input) input.disabled = !open;
      if ($('chat-send')) $('chat-send').disabled = !open;
      if (input) input.placeholder = open ? 'message' : 'no data channel';
    }

    if (form) {
      form.addEventListener('submit', ev => {
        ev.preventDefault();
        if (!input.value) return;
        if (api.send(input.value)) input.value = '';
      });
    }
    setEnabled(false);

    return {
      state(s) {
        setEnabled(s === 'open');
        if (root && s === 'open') root.hidden = false;
        if (root) root.dataset.channel = s;
      },
      line(dir, text) {
        if (dir === 'in' && count) count.textContent = String(++received);
        if (!log) return;
        const li = document.createElement('li');
        li.className = dir;
        const time = document.createElement('time');
        time.textContent = new Date().toLocaleTimeString();
        li.append(time, ' ', text);
        log.append(li);
        while (log.childElementCount > KEEP_LINES) log.firstElementChild.remove();
        log.scrollTop = log.scrollHeight;
      },
    };
  }

  window.rtckitChannel = { attach, LABEL, MAX_BINARY };
})();
