// Weak references and promise plumbing for rtcpeerbin's operations on webrtcbin (C++ only).
#pragma once

#include "gst-ptr.h"
#include "rtcpeerbin.h"

#include <functional>
#include <memory>

namespace rtc::peer
{

// Callbacks webrtcbin may never call hold the peer bin weakly: webrtcbin drops the promises of
// operations still queued when it stops, unanswered, so their change function never runs, only
// their destroy notify. A strong reference there kept the whole peer (webrtcbin, its transports,
// sockets and threads) alive for good when a viewer left mid-negotiation.
struct WeakSelf
{
  GWeakRef ref;
  explicit WeakSelf (GstRtcPeerBin *self) { g_weak_ref_init (&ref, self); }
  ~WeakSelf () { g_weak_ref_clear (&ref); }
  WeakSelf (const WeakSelf &) = delete;
  WeakSelf &operator= (const WeakSelf &) = delete;
  Ptr<GstRtcPeerBin> get ()
  {
    return Ptr<GstRtcPeerBin> (GST_RTC_PEER_BIN (g_weak_ref_get (&ref)));
  }
};

// Emits @signal on webrtcbin with a promise whose change function gets @ctx and whose destroy
// notify deletes it, whether or not webrtcbin ever answers: webrtcbin holds the only reference
// once the signal returns.
template <typename Ctx, void (*Change) (GstPromise *, Ctx *)>
void
emit_with_promise (GstElement *webrtc, const char *signal, gpointer arg, Ctx *ctx)
{
  GstPromise *p = gst_promise_new_with_change_func (
      [] (GstPromise *promise, gpointer d) { Change (promise, static_cast<Ctx *> (d)); }, ctx,
      [] (gpointer d) { delete static_cast<Ctx *> (d); });
  if (arg)
    g_signal_emit_by_name (webrtc, signal, arg, p);
  else
    g_signal_emit_by_name (webrtc, signal, nullptr, p);
  gst_promise_unref (p);
}

// The end of one negotiation step: @error is NULL on success, @sdp the local description made
// (offer or answer) or NULL. @self is NULL when the peer bin is gone. Runs on a webrtcbin thread.
using Completion = std::function<void (GstRtcPeerBin *self, const GError *error, const gchar *sdp)>;

// A GstRtcPeerBinDoneFunc as a Completion: @notify runs when the last copy goes, whether @done
// ran or not (as before the C++ plumbing existed).
Completion completion_from_done (GstRtcPeerBinDoneFunc done, gpointer user_data,
                                 GDestroyNotify notify);

// A reply to a promise, made once: by send(), or with an "error" when the last reference goes
// unanswered (the peer stopped first), so nobody waits on it forever.
class PromiseReply
{
public:
  explicit PromiseReply (GstPromise *promise) : promise_ (Ptr<GstPromise>::ref (promise)) {}
  ~PromiseReply ();
  PromiseReply (const PromiseReply &) = delete;
  PromiseReply &operator= (const PromiseReply &) = delete;
  void send (GstStructure *reply); // takes @reply
  void send_error (const gchar *message);

private:
  Ptr<GstPromise> promise_;
  bool replied_ = false;
};

// The user data of a C callback: @notify runs once, when the last holder goes.
struct UserData
{
  gpointer data = nullptr;
  GDestroyNotify notify = nullptr;
  UserData (gpointer d, GDestroyNotify n) : data (d), notify (n) {}
  ~UserData ()
  {
    if (notify)
      notify (data);
  }
  UserData (const UserData &) = delete;
  UserData &operator= (const UserData &) = delete;
};

// A Completion that replies to @promise (may be NULL) with an application/x-rtckit-peer-reply
// structure: "type" (@kind, when an SDP was made) and "sdp", or "error" (string). A promise
// never answered (the peer stopped first) is replied with an error when the last copy goes, so
// nobody waits on it forever.
Completion completion_from_promise (GstPromise *promise, const gchar *kind);

} // namespace rtc::peer
