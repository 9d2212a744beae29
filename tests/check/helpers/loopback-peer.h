// Helpers for a webrtcbin in the test process that plays the remote peer of a session (a viewer
// of rtcbroadcastsink, a publisher to rtcingestsrc) on loopback.
#pragma once

#include "test-signaller.h"

#include <gst/webrtc/webrtc.h>

#include <string>

// Keeps @webrtc's ICE candidates on 127.0.0.1.
void loopback_peer_use_loopback (GstElement *webrtc);

// Session @sid's candidates: @webrtc's go to the element through @sig, the element's to @webrtc.
void loopback_peer_route_ice (GstElement *webrtc, TestSignaller *sig, const std::string &sid);

// Applies @sdp of @type as @webrtc's remote description and waits for it.
void loopback_peer_set_remote (GstElement *webrtc, GstWebRTCSDPType type, const std::string &sdp);

// Creates @webrtc's "offer" or "answer" (@kind), fails the test with @failure when there is none,
// sets it as the local description and returns its text.
std::string loopback_peer_create_local (GstElement *webrtc, const char *kind, const char *failure);
