// rtckit navigation: the viewer's pointer, wheel and key events on the <video>, sent on the
// `control` data channel of `rtcbroadcastsink navigation=true` as the navigation requests of
// gst-plugins-rs' webrtcsink:
//   {"id":N,"request":{"type":"navigationEvent","event":{"event":"MouseMove","x":..,"y":..,"modifier_state":""}}}
// Coordinates are in the video's own pixels (videoWidth × videoHeight), with the letterboxing of
// object-fit: contain taken out. The pure helpers (videoPoint, modifierState, keyName, button,
// scrollDelta) are exported for tests/web/ under Node.
//
// In the page it defines window.rtckitNavigation; rtckit.js calls start(video, channel, api).
(() => {
  'use strict';

  const LABEL = 'control';
  const MOVE_INTERVAL_MS = 16; // mouse moves are sent at most ~60 times a second

  // The picture's box inside an element of box @rect: object-fit: contain scales it to fit and
  // centres it, leaving bars on two sides. null while the size of either is unknown.
  function pictureBox(rect, videoWidth, videoHeight) {
    if (!videoWidth || !videoHeight || !(rect.width > 0) || !(rect.height > 0)) return null;
    const scale = Math.min(rect.width / videoWidth, rect.height / videoHeight);
    return {
      left: rect.left + (rect.width - videoWidth * scale) / 2,
      top: rect.top + (rect.height - videoHeight * scale) / 2,
      scale,
    };
  }

  // Client coordinates to the video's own pixel coordinates: null outside the picture (on the
  // bars), or the nearest point of the picture when @clamp (a release must not get lost).
  function videoPoint(clientX, clientY, rect, videoWidth, videoHeight, clamp = false) {
    const box = pictureBox(rect, videoWidth, videoHeight);
    if (!box) return null;
    let x = (clientX - box.left) / box.scale;
    let y = (clientY - box.top) / box.scale;
    const inside = x >= 0 && y >= 0 && x <= videoWidth && y <= videoHeight;
    if (!inside && !clamp) return null;
    x = Math.min(Math.max(x, 0), videoWidth);
    y = Math.min(Math.max(y, 0), videoHeight);
    // two decimals: sub-pixel precision without float noise on the wire
    return { x: Math.round(x * 100) / 100, y: Math.round(y * 100) / 100 };
  }

  // GdkModifierType nicks in bit order, joined with '+', for a DOM mouse/key/wheel event
  // (or any object with the same fields). `buttons` is the DOM bit mask of held buttons.
  function modifierState(ev) {
    const caps = typeof ev.getModifierState === 'function' ? ev.getModifierState('CapsLock') : !!ev.capsLock;
    const b = ev.buttons || 0;
    const held = [
      [ev.shiftKey, 'shift-mask'],
      [caps, 'lock-mask'],
      [ev.ctrlKey, 'control-mask'],
      [ev.altKey, 'mod1-mask'],
      [b & 1, 'button1-mask'],  // primary (left)
      [b & 4, 'button2-mask'],  // auxiliary (middle)
      [b & 2, 'button3-mask'],  // secondary (right)
      [b & 8, 'button4-mask'],  // back
      [b & 16, 'button5-mask'], // forward
      [ev.metaKey, 'meta-mask'],
    ];
    return held.filter(([on]) => on).map(([, nick]) => nick).join('+');
  }

  // DOM MouseEvent.button (0 left, 1 middle, 2 right, 3 back, 4 forward) to X button numbers
  // (1 left, 2 middle, 3 right, 8 back, 9 forward: 4 to 7 are the wheel's).
  function button(domButton) {
    return [1, 2, 3, 8, 9][domButton] || domButton + 1;
  }

  // KeyboardEvent.key to X keysym names for the common keys; a single character other than these
  // goes as it is (letters, digits, other scripts); anything else (dead keys, 'Unidentified') is null.
  const KEYSYMS = {
    Enter: 'Return', Backspace: 'BackSpace', Escape: 'Escape', Tab: 'Tab', Delete: 'Delete',
    Insert: 'Insert', Home: 'Home', End: 'End', PageUp: 'Page_Up', PageDown: 'Page_Down',
    ArrowLeft: 'Left', ArrowRight: 'Right', ArrowUp: 'Up', ArrowDown: 'Down',
    CapsLock: 'Caps_Lock', ContextMenu: 'Menu', Pause: 'Pause', PrintScreen: 'Print',
    ' ': 'space', '!': 'exclam', '"': 'quotedbl', '#': 'numbersign', $: 'dollar', '%': 'percent',
    '&': 'ampersand', "'": 'apostrophe', '(': 'parenleft', ')': 'parenright', '*': 'asterisk',
    '+': 'plus', ',': 'comma', '-': 'minus', '.': 'period', '/': 'slash', ':': 'colon',
    ';': 'semicolon', '<': 'less', '=': 'equal', '>': 'greater', '?': 'question', '@': 'at',
    '[': 'bracketleft', '\\': 'backslash', ']': 'bracketright', '^': 'asciicircum',
    _: 'underscore', '`': 'grave', '{': 'braceleft', '|': 'bar', '}': 'braceright', '~': 'asciitilde',
  };
  const SIDED = { Shift: 'Shift', Control: 'Control', Alt: 'Alt', Meta: 'Super', AltGraph: 'ISO_Level3_Shift' };

  // @location: KeyboardEvent.location (2 = the right-hand key of a pair).
  function keyName(key, location = 0) {
    if (typeof key !== 'string' || !key) return null;
    if (Object.prototype.hasOwnProperty.call(KEYSYMS, key)) return KEYSYMS[key];
    if (Object.prototype.hasOwnProperty.call(SIDED, key)) {
      const base = SIDED[key];
      return key === 'AltGraph' ? base : `${base}_${location === 2 ? 'R' : 'L'}`;
    }
    if (/^F([1-9]|1[0-9]|2[0-4])$/.test(key)) return key;
    if ([...key].length === 1) return key;
    return null;
  }

  // WheelEvent deltas to wheel steps in GstNavigation's direction (positive = up / left, as the
  // X and GTK sinks send): pixels are counted in steps of 100 (a Chromium notch), lines in 3s.
  function scrollDelta(ev) {
    const per = ev.deltaMode === 1 ? 3 : ev.deltaMode === 2 ? 1 : 100;
    const step = d => (d ? Math.round(-d / per * 100) / 100 : 0);
    return { delta_x: step(ev.deltaX), delta_y: step(ev.deltaY) };
  }

  // The JSON text of one request.
  function request(id, event) {
    return JSON.stringify({ id, request: { type: 'navigationEvent', event } });
  }

  // Starts sending the events of @video on @channel (its label is `control`); @api gets
  // api.navigation = { channelState, sent, responses, lastResponse }. Returns stop().
  function start(video, channel, api) {
    const nav = api.navigation = { channelState: channel.readyState, sent: 0, responses: 0, lastResponse: null };
    let nextId = 1;
    let lastMove = 0, moveTimer = null, pendingMove = null;
    const listeners = [];

    function on(target, type, fn, opts) {
      target.addEventListener(type, fn, opts);
      listeners.push(() => target.removeEventListener(type, fn, opts));
    }

    function sendEvent(event) {
      if (channel.readyState !== 'open') return false;
      try {
        channel.send(request(nextId++, event));
      } catch (e) {
        console.warn('rtckit: navigation send', e);
        return false;
      }
      nav.sent++;
      return true;
    }

    function point(ev, clamp) {
      return videoPoint(ev.clientX, ev.clientY, video.getBoundingClientRect(),
                        video.videoWidth, video.videoHeight, clamp);
    }

    function flushMove() {
      moveTimer = null;
      if (!pendingMove) return;
      lastMove = performance.now();
      sendEvent(pendingMove);
      pendingMove = null;
    }

    on(channel, 'open', () => { nav.channelState = 'open'; });
    on(channel, 'close', () => { nav.channelState = 'closed'; });
    on(channel, 'message', ev => {
      // {"type":"ControlResponseMessage","id":N,"error":null|"text"}: logged only.
      nav.responses++;
      try {
        nav.lastResponse = JSON.parse(ev.data);
        if (nav.lastResponse.error) console.warn('rtckit: navigation refused:', nav.lastResponse.error);
      } catch (e) {
        console.info('rtckit: control message', ev.data);
      }
    });

    on(video, 'pointermove', ev => {
      const p = point(ev, false);
      if (!p) return;
      pendingMove = { event: 'MouseMove', x: p.x, y: p.y, modifier_state: modifierState(ev) };
      const wait = MOVE_INTERVAL_MS - (performance.now() - lastMove);
      if (wait <= 0) flushMove();
      else if (!moveTimer) moveTimer = setTimeout(flushMove, wait);
    });
    on(video, 'pointerdown', ev => {
      const p = point(ev, false);
      if (!p) return;
      video.focus({ preventScroll: true });
      try { video.setPointerCapture(ev.pointerId); } catch (e) { /* synthetic events */ }
      flushMove();
      sendEvent({ event: 'MouseButtonPress', button: button(ev.button), x: p.x, y: p.y,
                  modifier_state: modifierState(ev) });
      ev.preventDefault();
    });
    on(video, 'pointerup', ev => {
      const p = point(ev, true);
      if (!p) return;
      flushMove();
      sendEvent({ event: 'MouseButtonRelease', button: button(ev.button), x: p.x, y: p.y,
                  modifier_state: modifierState(ev) });
    });
    on(video, 'wheel', ev => {
      const p = point(ev, false);
      if (!p) return;
      sendEvent({ event: 'MouseScroll', x: p.x, y: p.y, ...scrollDelta(ev), modifier_state: modifierState(ev) });
      ev.preventDefault();
    }, { passive: false });
    on(video, 'contextmenu', ev => ev.preventDefault());
    const onKey = type => ev => {
      const key = keyName(ev.key, ev.location);
      if (!key) return;
      if (sendEvent({ event: type, key, modifier_state: modifierState(ev) })) ev.preventDefault();
    };
    on(video, 'keydown', onKey('KeyPress'));
    on(video, 'keyup', onKey('KeyRelease'));

    // Focusable, so that keys reach it once clicked.
    const hadTabIndex = video.hasAttribute('tabindex');
    if (!hadTabIndex) video.tabIndex = 0;
    video.classList.add('navigable');

    return function stop() {
      listeners.splice(0).forEach(off => off());
      clearTimeout(moveTimer);
      if (!hadTabIndex) video.removeAttribute('tabindex');
      video.classList.remove('navigable');
      nav.channelState = 'closed';
    };
  }

  const api = { LABEL, videoPoint, modifierState, button, keyName, scrollDelta, request, start };
  if (typeof module === 'object' && module.exports) module.exports = api;
  else window.rtckitNavigation = api;
})();
