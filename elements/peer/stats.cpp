// Statistics: webrtcbin's get-stats, the repair budget's and the data channels' counters.
#include "peer-private.h"

#define GST_CAT_DEFAULT rtc_peer_bin_debug

namespace rtc::peer
{

GstStructure *
repair_stats (GstRtcPeerBin *self)
{
  const RepairCounts c = self->priv->repair.counts ();
  return gst_structure_new ("application/x-rtckit-repair-stats", "retransmissions-requested",
                            G_TYPE_UINT64, c.requests, "retransmitted", G_TYPE_UINT64, c.resent,
                            "retransmissions-dropped", G_TYPE_UINT64, c.dropped,
                            "keyframes-for-loss", G_TYPE_UINT64, c.keyframes, nullptr);
}

GstStructure *
data_channel_stats (GstRtcPeerBin *self)
{
  const ChannelCounts c = self->priv->channels.counts ();
  return gst_structure_new ("application/x-rtckit-data-channel-stats", "messages-sent",
                            G_TYPE_UINT64, c.messages_sent, "messages-received", G_TYPE_UINT64,
                            c.messages_received, "messages-dropped", G_TYPE_UINT64,
                            c.messages_dropped, "bytes-sent", G_TYPE_UINT64, c.bytes_sent,
                            "bytes-received", G_TYPE_UINT64, c.bytes_received, nullptr);
}

namespace
{
template <typename Func> struct StatsCtx
{
  WeakSelf self;
  Func func;
  StatsCtx (GstRtcPeerBin *s, Func f) : self (s), func (std::move (f)) {}
};
using StatsFn = std::function<void (GstRtcPeerBin *, const GstStructure *)>;
using Ctx = StatsCtx<StatsFn>;
} // namespace

static void
on_stats (GstPromise *promise, Ctx *ctx)
{
  Ptr<GstRtcPeerBin> self = ctx->self.get ();
  if (!self)
    return;
  const GstStructure *reply = nullptr;
  if (gst_promise_wait (promise) == GST_PROMISE_RESULT_REPLIED)
    reply = gst_promise_get_reply (promise);
  ctx->func (self.get (), reply);
}

static void
stats (GstRtcPeerBin *self, StatsFn fn)
{
  emit_with_promise<Ctx, on_stats> (self->priv->webrtc, "get-stats", nullptr,
                                    new Ctx (self, std::move (fn)));
}

// The action signal: webrtcbin's stats with our counters added as "rtckit-data-channels" and
// "rtckit-repair"; an "error" field when webrtcbin gave none.
void
get_stats (GstRtcPeerBin *self, GstPromise *promise)
{
  // A promise webrtcbin drops (the peer stops) is answered when the last copy of this goes.
  auto reply = std::make_shared<PromiseReply> (promise);
  stats (self, [reply] (GstRtcPeerBin *peer, const GstStructure *st) {
    if (!st)
      {
        reply->send_error ("webrtcbin gave no statistics");
        return;
      }
    GstStructure *out = gst_structure_copy (st);
    GstStructure *dc = data_channel_stats (peer);
    GstStructure *repair = repair_stats (peer);
    gst_structure_set (out, "rtckit-data-channels", GST_TYPE_STRUCTURE, dc, "rtckit-repair",
                       GST_TYPE_STRUCTURE, repair, nullptr);
    gst_structure_free (dc);
    gst_structure_free (repair);
    reply->send (out);
  });
}

} // namespace rtc::peer

void
gst_rtc_peer_bin_get_stats (GstRtcPeerBin *self, GstRtcPeerBinStatsFunc func, gpointer user_data,
                            GDestroyNotify notify)
{
  g_return_if_fail (GST_IS_RTC_PEER_BIN (self));
  auto u = std::make_shared<rtc::peer::UserData> (user_data, notify);
  rtc::peer::stats (self, [func, u] (GstRtcPeerBin *peer, const GstStructure *st) {
    if (func)
      func (peer, st, u->data);
  });
}
