// The viewer's navigation helpers (web/rtckit-navigation.js) without a browser: `node --test`.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const nav = require(path.join(process.env.RTCKIT_SOURCE_ROOT || path.join(__dirname, '..', '..'),
                              'web', 'rtckit-navigation.js'));

const rect = (left, top, width, height) => ({ left, top, width, height });

test('a picture that fills its element maps client pixels to video pixels by the scale', () => {
  // 640x360 shown at 1280x720 from (10, 20)
  assert.deepEqual(nav.videoPoint(10, 20, rect(10, 20, 1280, 720), 640, 360), { x: 0, y: 0 });
  assert.deepEqual(nav.videoPoint(650, 380, rect(10, 20, 1280, 720), 640, 360), { x: 320, y: 180 });
  assert.deepEqual(nav.videoPoint(1290, 740, rect(10, 20, 1280, 720), 640, 360), { x: 640, y: 360 });
});

test('bars above and below a wide picture are taken out', () => {
  // 1280x720 in an 800x600 element: scale 0.625, picture 800x450, bars of 75 px
  const r = rect(0, 0, 800, 600);
  assert.deepEqual(nav.videoPoint(400, 300, r, 1280, 720), { x: 640, y: 360 });
  assert.deepEqual(nav.videoPoint(0, 75, r, 1280, 720), { x: 0, y: 0 });
  assert.deepEqual(nav.videoPoint(800, 525, r, 1280, 720), { x: 1280, y: 720 });
  assert.equal(nav.videoPoint(400, 50, r, 1280, 720), null, 'on the top bar');
  assert.equal(nav.videoPoint(400, 560, r, 1280, 720), null, 'on the bottom bar');
});

test('bars left and right of a tall picture are taken out', () => {
  // 480x640 in a 1000x800 element: scale 1.25, picture 600x800 from x = 200
  const r = rect(0, 0, 1000, 800);
  assert.deepEqual(nav.videoPoint(200, 0, r, 480, 640), { x: 0, y: 0 });
  assert.deepEqual(nav.videoPoint(500, 400, r, 480, 640), { x: 240, y: 320 });
  assert.equal(nav.videoPoint(100, 400, r, 480, 640), null);
  assert.equal(nav.videoPoint(900, 400, r, 480, 640), null);
});

test('a clamped point on a bar goes to the nearest edge of the picture', () => {
  const r = rect(0, 0, 800, 600);
  assert.deepEqual(nav.videoPoint(-50, 10, r, 1280, 720, true), { x: 0, y: 0 });
  assert.deepEqual(nav.videoPoint(900, 700, r, 1280, 720, true), { x: 1280, y: 720 });
});

test('coordinates keep two decimals', () => {
  // 1920x1080 at 1000x562.5: scale 0.5208333
  const p = nav.videoPoint(333, 111, rect(0, 0, 1000, 562.5), 1920, 1080);
  assert.deepEqual(p, { x: 639.36, y: 213.12 });
});

test('no point before the video has a size', () => {
  assert.equal(nav.videoPoint(1, 1, rect(0, 0, 640, 480), 0, 0), null);
  assert.equal(nav.videoPoint(1, 1, rect(0, 0, 0, 0), 640, 480), null);
});

test('modifier_state joins GdkModifierType nicks in bit order', () => {
  assert.equal(nav.modifierState({}), '');
  assert.equal(nav.modifierState({ shiftKey: true }), 'shift-mask');
  assert.equal(nav.modifierState({ metaKey: true, altKey: true, ctrlKey: true, shiftKey: true }),
               'shift-mask+control-mask+mod1-mask+meta-mask');
  assert.equal(nav.modifierState({ getModifierState: k => k === 'CapsLock' }), 'lock-mask');
});

test('held buttons become buttonN-mask in X numbering', () => {
  assert.equal(nav.modifierState({ buttons: 1 }), 'button1-mask');
  assert.equal(nav.modifierState({ buttons: 2 }), 'button3-mask', 'DOM bit 2 is the right button');
  assert.equal(nav.modifierState({ buttons: 4 }), 'button2-mask', 'DOM bit 4 is the middle button');
  assert.equal(nav.modifierState({ buttons: 1 | 8 | 16, ctrlKey: true }),
               'control-mask+button1-mask+button4-mask+button5-mask');
});

test('DOM buttons become X buttons', () => {
  assert.deepEqual([0, 1, 2, 3, 4].map(nav.button), [1, 2, 3, 8, 9]);
});

test('common keys get their X keysym names', () => {
  const cases = {
    Enter: 'Return', Backspace: 'BackSpace', Escape: 'Escape', Tab: 'Tab', ' ': 'space',
    ArrowLeft: 'Left', ArrowRight: 'Right', ArrowUp: 'Up', ArrowDown: 'Down',
    PageUp: 'Page_Up', F5: 'F5', ',': 'comma', '.': 'period', '/': 'slash',
    a: 'a', Z: 'Z', 7: '7', 'é': 'é',
  };
  for (const [key, want] of Object.entries(cases)) assert.equal(nav.keyName(key), want, key);
});

test('modifier keys say which side they are on', () => {
  assert.equal(nav.keyName('Shift', 1), 'Shift_L');
  assert.equal(nav.keyName('Shift', 2), 'Shift_R');
  assert.equal(nav.keyName('Control'), 'Control_L');
  assert.equal(nav.keyName('Alt', 2), 'Alt_R');
});

test('keys without a name are not sent', () => {
  for (const key of ['Dead', 'Unidentified', 'F25', '', undefined, 'Process']) {
    assert.equal(nav.keyName(key), null, String(key));
  }
});

test('wheel deltas become steps, positive up and left', () => {
  assert.deepEqual(nav.scrollDelta({ deltaMode: 0, deltaX: 0, deltaY: 100 }), { delta_x: 0, delta_y: -1 });
  assert.deepEqual(nav.scrollDelta({ deltaMode: 0, deltaX: -50, deltaY: -200 }), { delta_x: 0.5, delta_y: 2 });
  assert.deepEqual(nav.scrollDelta({ deltaMode: 1, deltaX: 0, deltaY: 3 }), { delta_x: 0, delta_y: -1 });
  assert.deepEqual(nav.scrollDelta({ deltaMode: 2, deltaX: 0, deltaY: -1 }), { delta_x: 0, delta_y: 1 });
});

test('a request is the navigationEvent message of webrtcsink', () => {
  const ev = { event: 'KeyPress', key: 'a', modifier_state: '' };
  assert.deepEqual(JSON.parse(nav.request(3, ev)),
                   { id: 3, request: { type: 'navigationEvent', event: ev } });
});
