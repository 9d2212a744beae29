// The codec and payload type chosen per m-line of a remote offer (elements/common/offer-choice),
// no pipeline.
#include <gst/check/gstcheck.h>

#include "elements/common/offer-choice.h"

static const char *kHead = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n";

static rtc::OfferChoice
receive (const std::string &media, const char *video, const char *audio)
{
  rtc::OfferChoice choice;
  rtc::choose_codecs (kHead + media, rtc::parse_codec_list (video, "video"),
                      rtc::parse_codec_list (audio, "audio"), choice);
  return choice;
}

GST_START_TEST (the_first_of_our_codecs_the_offer_has_wins_with_its_payload_type)
{
  rtc::OfferChoice c = receive ("m=video 9 UDP/TLS/RTP/SAVPF 96 102\r\na=rtpmap:96 VP8/90000\r\n"
                                "a=rtpmap:102 H264/90000\r\na=fmtp:102 packetization-mode=1\r\n",
                                "h264,vp8", "opus");
  fail_unless (c.error.empty (), "%s", c.error.c_str ());
  fail_unless_equals_int (c.mlines.size (), 1);
  fail_unless_equals_string (c.mlines[0].codec->name, "h264");
  fail_unless_equals_int (c.mlines[0].pt, 102);
}
GST_END_TEST;

// GstSdp takes an empty buffer for a programming error (a critical, fatal here); an empty offer
// from a peer is only a bad offer (found by fuzz-offer-choice).
GST_START_TEST (an_empty_offer_is_refused_without_a_critical)
{
  rtc::OfferChoice choice;
  rtc::choose_codecs ("", rtc::parse_codec_list ("vp8", "video"), {}, choice);
  fail_unless_equals_string (choice.error.c_str (), "the offer is not a valid SDP with media");
  fail_unless (rtc::parse_sdp ("") == nullptr);
}
GST_END_TEST;

// RFC 3551 payload types 0 (PCMU) and 8 (PCMA) need no a=rtpmap. Without one the caps had no
// encoding-name: g_ascii_strcasecmp (NULL, ...) made a critical and matched any 8 kHz codec, so
// PCMA was taken for PCMU (found by fuzz-offer-choice).
GST_START_TEST (static_payload_types_without_rtpmap_keep_their_codec)
{
  rtc::OfferChoice c = receive ("m=audio 9 RTP/AVP 8\r\n", "vp8", "pcmu,pcma");
  fail_unless (c.error.empty (), "%s", c.error.c_str ());
  fail_unless_equals_string (c.mlines[0].codec->name, "pcma");
  fail_unless_equals_int (c.mlines[0].pt, 8);
  const GstStructure *s = gst_caps_get_structure (c.mlines[0].caps, 0);
  fail_unless_equals_string (gst_structure_get_string (s, "encoding-name"), "PCMA");

  c = receive ("m=audio 9 RTP/AVP 0\r\n", "vp8", "pcma");
  fail_unless (c.mlines[0].codec == nullptr);
  fail_if (c.error.empty ());
}
GST_END_TEST;

// An RTP packet carries 7 bits of payload type: atoi() took "200" (or "-1", or "96x") as one,
// and the answer named a payload type no packet can carry (found by fuzz-offer-choice).
GST_START_TEST (payload_types_outside_0_to_127_are_not_chosen)
{
  rtc::OfferChoice c = receive ("m=video 9 UDP/TLS/RTP/SAVPF 200 96x 97\r\n"
                                "a=rtpmap:200 VP8/90000\r\na=rtpmap:97 VP8/90000\r\n",
                                "vp8", "opus");
  fail_unless (c.error.empty (), "%s", c.error.c_str ());
  fail_unless_equals_int (c.mlines[0].pt, 97);

  c = receive ("m=video 9 UDP/TLS/RTP/SAVPF 200\r\na=rtpmap:200 VP8/90000\r\n", "vp8", "opus");
  fail_unless (c.mlines[0].codec == nullptr);
  fail_if (c.error.empty ());
}
GST_END_TEST;

// SDP is UTF-8 text; GstSdp would copy other bytes into caps fields, with a GStreamer warning
// per field (found by fuzz-offer-choice). The signallers check UTF-8 already: this is the
// choice's own guard.
GST_START_TEST (an_offer_that_is_not_utf8_is_refused)
{
  rtc::OfferChoice c = receive ("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 OPUS/48000/2\r\n"
                                "a=fmtp:111 useinbandfec=\xff\r\n",
                                "vp8", "opus");
  fail_unless_equals_string (c.error.c_str (), "the offer is not a valid SDP with media");
}
GST_END_TEST;

static Suite *
offer_choice_suite (void)
{
  Suite *s = suite_create ("offer-choice");
  TCase *tc = tcase_create ("general");
  suite_add_tcase (s, tc);
  tcase_add_test (tc, the_first_of_our_codecs_the_offer_has_wins_with_its_payload_type);
  tcase_add_test (tc, an_empty_offer_is_refused_without_a_critical);
  tcase_add_test (tc, static_payload_types_without_rtpmap_keep_their_codec);
  tcase_add_test (tc, payload_types_outside_0_to_127_are_not_chosen);
  tcase_add_test (tc, an_offer_that_is_not_utf8_is_refused);
  return s;
}

GST_CHECK_MAIN (offer_choice);
