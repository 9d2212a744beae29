/* rtc::sdp: the little SDP text handling WHIP and WHEP need, on both sides (our WHIP client,
 * RtcWhipSignaller, and the embedded server's /whip and /whep endpoints). Plain text work on
 * lines: no GstSdp, nothing that would reorder or re-serialise what a peer wrote.
 *
 * Pure functions with no state: safe from any thread. */
#pragma once

#include <glib.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rtc::sdp
{

/* Lines of @text without their "\n" or "\r\n"; a trailing empty line is not returned. */
std::vector<std::string> split_lines (std::string_view text);

/* @sdp with "a=<candidate>" lines (@candidates: m-line index, "candidate:..." text) appended to
 * their m-sections, and "a=end-of-candidates" in every m-section when @complete. Empty
 * candidates are skipped; lines end in "\r\n". */
std::string add_candidates (std::string_view sdp,
                            const std::vector<std::pair<guint, std::string>> &candidates,
                            bool complete);

/* What a WHIP/WHEP endpoint needs to know about an offer. */
struct OfferInfo
{
  std::vector<std::string> mids; /* per m-line, "" when it has no a=mid */
  std::string ufrag, pwd;        /* the first a=ice-ufrag / a=ice-pwd, "" if none */
};

/* Checks that @body reads as an SDP session description: UTF-8, starts with "v=0", every line is
 * "<letter>=<value>", and it has at least one "m=" line. On failure returns nullopt and sets
 * @why to a sentence for the HTTP reply. */
std::optional<OfferInfo> parse_offer (std::string_view body, std::string &why);

/* An application/trickle-ice-sdpfrag body (RFC 8840), as far as WHIP uses it. */
struct Fragment
{
  struct Section
  {
    std::optional<std::string> mid;
    std::vector<std::string> candidates; /* "candidate:..." without "a=" */
    bool end_of_candidates = false;
  };
  std::optional<std::string> ufrag, pwd; /* any a=ice-ufrag / a=ice-pwd, session or media level */
  bool end_of_candidates = false;        /* session level */
  std::vector<Section> sections;         /* one per "m=" line, in order */
};

/* Parses a trickle-ice-sdpfrag body. Malformed (not UTF-8, a line that is not
 * "<letter>=<value>", a candidate outside an m-section, two different ufrags or passwords):
 * nullopt with @why set. Attributes it does not know are ignored. */
std::optional<Fragment> parse_fragment (std::string_view body, std::string &why);

} // namespace rtc::sdp
