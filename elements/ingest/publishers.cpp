// rtcingestsrc: signalling sessions, publishers and their tracks. Tracks are built on the
// streaming thread that brings their first packet; everything else runs on the element's worker
// thread, which alone owns the publishers.
#include "ingest/src-private.h"

#include "closure.h"
#include "rtcpeerbin.h"

#include <gst/video/video.h>

#include <algorithm>
#include <gst/webrtc/webrtc.h>

using namespace rtc::ingest;
using rtc::CodecInfo;
using rtc::Ptr;

static GstRtcIngestSrc *
src_of (GstRtcSignalBin *bin)
{
  return GST_RTC_INGEST_SRC (bin);
}

static Publisher &
publisher_of (rtc::Session &session)
{
  return static_cast<Publisher &> (session);
}

// The worker's publisher of @session_id, or nullptr.
static Publisher *
find_publisher (GstRtcIngestSrc *self, const std::string &session_id)
{
  rtc::Session *s = rtc::find_session (GST_RTC_SIGNAL_BIN (self), session_id);
  return s ? &publisher_of (*s) : nullptr;
}

// rtcingestsrc's Incoming callbacks.
rtc::IncomingSession *
rtc::ingest::find_incoming (GstRtcIngestSrc *self, const std::string &session_id)
{
  Publisher *p = find_publisher (self, session_id);
  return p ? &p->in : nullptr;
}

void
rtc::ingest::publisher_announced (GstRtcIngestSrc *self, const std::string &sid,
                                  const std::string &pid, const std::vector<std::string> &names)
{
  g_signal_emit (self, signals[SIGNAL_PUBLISHER_READY], 0, pid.c_str (), sid.c_str ());
  GStrv strv = g_new0 (gchar *, names.size () + 1);
  for (std::size_t i = 0; i < names.size (); i++)
    strv[i] = g_strdup (names[i].c_str ());
  rtc::post_element_message (GST_RTC_SIGNAL_BIN (self),
                             gst_structure_new ("rtckit-publisher-ready", "publisher-id",
                                                G_TYPE_STRING, pid.c_str (), "session-id",
                                                G_TYPE_STRING, sid.c_str (), "pads", G_TYPE_STRV,
                                                strv, nullptr));
  g_strfreev (strv);
}

/* --- publishers (worker thread) ---------------------------------------------------------- */

// The publisher's peer is about to stop: nothing may stay blocked (its streaming threads must
// finish).
static void
publisher_before_peer_stops (GstRtcSignalBin *bin, rtc::Session &session)
{
  src_of (bin)->priv->in->before_peer_stops (publisher_of (session).in);
}

static void
publisher_ended (GstRtcSignalBin *bin, rtc::Session &session, const char *reason, bool eos)
{
  auto *self = src_of (bin);
  Publisher &p = publisher_of (session);
  self->priv->in->ended (p.in, eos);
  if (!p.answered)
    return;
  g_signal_emit (self, signals[SIGNAL_PUBLISHER_LEFT], 0, p.peer_id.c_str (), p.session_id.c_str (),
                 reason);
  rtc::post_element_message (
      bin, gst_structure_new ("rtckit-publisher-left", "publisher-id", G_TYPE_STRING,
                              p.peer_id.c_str (), "session-id", G_TYPE_STRING,
                              p.session_id.c_str (), "reason", G_TYPE_STRING, reason, nullptr));
}

static void
publishers_count_changed (GstRtcSignalBin *bin, guint count)
{
  auto *self = src_of (bin);
  {
    std::lock_guard lock (self->priv->state_lock);
    self->priv->publisher_count = count;
  }
  g_object_notify (G_OBJECT (self), "publishers");
}

static void
refuse (GstRtcIngestSrc *self, const std::string &session_id, const std::string &why)
{
  rtc::refuse_session (GST_RTC_SIGNAL_BIN (self), session_id, why);
}

namespace
{
struct NegotiatedCtx
{
  GstRtcIngestSrc *self;
  std::string session_id;
  std::string error_prefix; // put before webrtcbin's error text
};
} // namespace

// rtcpeerbin's done callback once both descriptions are set (our answer, or the remote answer to
// our offer): on the worker, the publisher has joined or is refused.
static void
on_negotiated (GstRtcPeerBin *, const GError *error, gpointer data)
{
  auto *ctx = static_cast<NegotiatedCtx *> (data);
  auto *self = ctx->self;
  std::string sid = ctx->session_id;
  std::string err = error ? ctx->error_prefix + error->message : "";
  rtc::run_on_worker (GST_RTC_SIGNAL_BIN (self), [self, sid, err] {
    Publisher *p = find_publisher (self, sid);
    if (!p)
      return;
    if (!err.empty ())
      {
        refuse (self, sid, err);
        return;
      }
    p->answered = true;
    rtc::post_element_message (GST_RTC_SIGNAL_BIN (self),
                               gst_structure_new ("rtckit-publisher-joined", "publisher-id",
                                                  G_TYPE_STRING, p->peer_id.c_str (), "session-id",
                                                  G_TYPE_STRING, sid.c_str (), nullptr));
  });
}

// A new rtcpeerbin for @p (rtcsignalbin's) whose streams become its tracks; nullptr, and the
// publisher refused, when rtcpeerbin is missing.
static GstElement *
new_peer (GstRtcIngestSrc *self, Publisher *p)
{
  GstElement *peer = rtc::new_peer (GST_RTC_SIGNAL_BIN (self), *p);
  if (peer)
    self->priv->in->attach (peer, p->in, p->session_id, p->peer_id);
  return peer;
}

static void
start_peer (GstRtcIngestSrc *self, Publisher *p)
{
  rtc::start_peer (GST_RTC_SIGNAL_BIN (self), *p, p->offered);
}

// The publisher's offer: pick our codec per m-line, build its rtcpeerbin and answer.
static void
handle_offer (GstRtcIngestSrc *self, const std::string &session_id, const std::string &offer)
{
  Publisher *p = find_publisher (self, session_id);
  if (!p)
    return;
  if (p->peer)
    {
      rtc::end_session (GST_RTC_SIGNAL_BIN (self), session_id,
                        "expected one SDP offer, got another (renegotiation is not supported)");
      return;
    }
  Settings s = copy_settings (self);
  auto video = rtc::parse_codec_list (s.video_codecs, "video");
  auto audio = rtc::parse_codec_list (s.audio_codecs, "audio");
  rtc::OfferChoice choice;
  rtc::choose_codecs (offer, video, audio, choice);
  if (!choice.error.empty ())
    {
      refuse (self, session_id, choice.error);
      return;
    }
  GstElement *peer = new_peer (self, p);
  if (!peer)
    return;
  auto &ref = p->in.ref;
  std::string summary;
  for (auto &m : choice.mlines)
    {
      ref->codecs[m.mline] = m.codec;
      gst_rtc_peer_bin_add_receiver (GST_RTC_PEER_BIN (peer), m.caps);
      summary += (summary.empty () ? "" : ", ") + std::string (m.codec->name) + " (pt "
                 + std::to_string (m.pt) + ")";
    }
  p->in.expected_tracks = choice.mlines.size ();
  start_peer (self, p);
  GST_INFO_OBJECT (self, "publisher %s (session %s): answering with %s", p->peer_id.c_str (),
                   session_id.c_str (), summary.c_str ());

  gst_rtc_peer_bin_answer (GST_RTC_PEER_BIN (peer), offer.c_str (), on_negotiated,
                           rtc::boxed (NegotiatedCtx{ self, session_id, "" }),
                           rtc::free_boxed<NegotiatedCtx>);
}

// WHEP: we offer to receive every codec we accept (recvonly, one video and one audio m-line).
static void
make_offer (GstRtcIngestSrc *self, Publisher *p)
{
  Settings s = copy_settings (self);
  auto video = rtc::parse_codec_list (s.video_codecs, "video");
  auto audio = rtc::parse_codec_list (s.audio_codecs, "audio");
  GstElement *peer = new_peer (self, p);
  if (!peer)
    return;
  p->offered = true;
  for (const auto *list : { &video, &audio })
    {
      if (list->empty ())
        continue;
      GstCaps *caps = rtc::offer_caps_for (*list);
      rtc::ask_for_feedback (caps);
      gst_rtc_peer_bin_add_receiver (GST_RTC_PEER_BIN (peer), caps);
      gst_caps_unref (caps);
    }
  start_peer (self, p);
  GST_INFO_OBJECT (self, "session %s: offering to receive %s / %s", p->session_id.c_str (),
                   rtc::codec_names (video).c_str (), rtc::codec_names (audio).c_str ());
  gst_rtc_peer_bin_create_offer (GST_RTC_PEER_BIN (peer));
}

// The answer to our offer: the codec of each m-line is its first payload type.
static void
handle_answer (GstRtcIngestSrc *self, Publisher *p, const std::string &answer)
{
  const std::string sid = p->session_id;
  if (p->answered || !p->in.ref)
    {
      rtc::end_session (GST_RTC_SIGNAL_BIN (self), sid,
                        "expected one SDP answer to our offer, got another");
      return;
    }
  GstSDPMessage *sdp = rtc::parse_sdp (answer);
  if (!sdp)
    {
      refuse (self, sid, "the answer is not a valid SDP with media");
      return;
    }
  std::string summary;
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    {
      const GstSDPMedia *m = gst_sdp_message_get_media (sdp, i);
      if (gst_sdp_media_get_port (m) == 0 || gst_sdp_media_formats_len (m) == 0)
        continue;
      const CodecInfo *c = rtc::codec_by_pt (atoi (gst_sdp_media_get_format (m, 0)));
      if (!c || g_strcmp0 (c->media, gst_sdp_media_get_media (m)) != 0)
        continue;
      p->in.ref->codecs[i] = c;
      summary += (summary.empty () ? "" : ", ") + std::string (c->name);
    }
  gst_sdp_message_free (sdp);
  if (p->in.ref->codecs.empty ())
    {
      refuse (self, sid, "the answer accepts none of the codecs we offered");
      return;
    }
  p->in.expected_tracks = p->in.ref->codecs.size ();
  GST_INFO_OBJECT (self, "session %s: the sender answered with %s", sid.c_str (), summary.c_str ());
  gst_rtc_peer_bin_set_remote_description (
      GST_RTC_PEER_BIN (p->peer.get ()), "answer", answer.c_str (), on_negotiated,
      rtc::boxed (NegotiatedCtx{ self, sid, "the SDP answer was refused: " }),
      rtc::free_boxed<NegotiatedCtx>);
}

static std::string
publisher_admit (GstRtcSignalBin *bin, std::size_t count)
{
  auto *self = src_of (bin);
  if (self->priv->eos.load ())
    return "the receiving pipeline is shutting down";
  guint max = copy_settings (self).max_publishers;
  if (max && count >= max)
    return "max-publishers reached: this server accepts " + std::to_string (max)
           + " publisher(s) at once; try again later";
  return "";
}

static std::unique_ptr<rtc::Session>
new_publisher ()
{
  return std::make_unique<Publisher> ();
}

static void
publisher_begin (GstRtcSignalBin *bin, rtc::Session &session, const std::string &offer)
{
  auto *self = src_of (bin);
  Publisher &p = publisher_of (session);
  const bool we_offer = offer.empty () && rtc::signal_bin (bin).signalling.consumer_offers ();
  GST_INFO_OBJECT (self, "publisher %s (session %s) %s", p.peer_id.c_str (), p.session_id.c_str (),
                   we_offer         ? "answers our offer"
                   : offer.empty () ? "waits for its offer"
                                    : "offers");
  if (!offer.empty ())
    handle_offer (self, p.session_id, offer);
  else if (we_offer)
    make_offer (self, &p);
}

static void
publisher_remote_sdp (GstRtcSignalBin *bin, rtc::Session &session, const std::string &t,
                      const std::string &text)
{
  auto *self = src_of (bin);
  Publisher &p = publisher_of (session);
  const std::string sid = p.session_id;
  if (p.offered)
    {
      if (t != "answer")
        refuse (self, sid, "we offered: expected the sender's SDP answer, not " + t);
      else
        handle_answer (self, &p, text);
      return;
    }
  if (t != "offer")
    {
      refuse (self, sid, "rtcingestsrc answers: the publisher must send an SDP offer, not " + t);
      return;
    }
  handle_offer (self, sid, text);
}

void
rtc::ingest::end_all_tracks (GstRtcIngestSrc *self)
{
  for (auto &[id, s] : rtc::signal_bin (GST_RTC_SIGNAL_BIN (self)).sessions)
    self->priv->in->end_tracks (publisher_of (*s).in);
}

static void
publisher_configure (GstRtcSignalBin *bin, rtc::SignallingConfig &config)
{
  config.page = "/publish";
  config.action = "publish";
  config.producer_id = copy_settings (src_of (bin)).producer_id;
}

const GstRtcSignalBinHooks rtc::ingest::publisher_hooks = {
  .role = RTC_SIGNALLER_ROLE_CONSUMER,
  .peer_noun = "publisher",
  .configure = publisher_configure,
  .new_session = new_publisher,
  .admit = publisher_admit,
  .begin = publisher_begin,
  .remote_sdp = publisher_remote_sdp,
  .state_changed = nullptr,
  .connected = nullptr,
  .poll = nullptr,
  .before_peer_stops = publisher_before_peer_stops,
  .ended = publisher_ended,
  .count_changed = publishers_count_changed,
};
