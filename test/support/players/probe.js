// What a viewer would notice, measured the same way for every browser player so the matrix compares
// like with like: a stall is a `waiting` event after playback first started (the element itself ran
// dry, whichever player fed it), rebuffer time is how long it stayed dry, frames come from the
// element's own playback quality, and ingest-to-screen is wall clock minus the playing frame's
// PROGRAM-DATE-TIME as the player maps it (corral stamps PDT at ingest).
// Each page calls corralProbe(video, programDate) once its player is attached; the test reads
// window.probe.
(function () {
  'use strict';
  var probe = {
    playing: false,
    stalls: 0,
    rebufferMs: 0,
    seeks: 0,
    currentTime: 0,
    frames: 0,
    dropped: 0,
    // Why a frame count can come out low, read with it: the element's counters start again from
    // zero when a player reloads its MediaSource (kept across that here, and counted); media time
    // jumped over by seeks; and the longest stretch of media time the clock ran with no new frame
    // (Chromium keeps audio playing for up to 3 s while video has nothing to show).
    frameCounterResets: 0,
    seekedOverS: 0,
    frozenVideoS: 0,
    ingestToScreen: null,
    lowLatency: null,
    errors: [],
    log: [],
    // A player's own log lines, if its page keeps them (hls.js).
    trace: [],
  };
  window.probe = probe;

  function note(kind, detail) {
    probe.log.push({ at: Date.now(), kind: kind, detail: detail });
    if (probe.log.length > 300) probe.log.shift();
  }
  probe.note = note;
  probe.error = function (e) {
    var text = typeof e === 'string' ? e : (e && (e.message || e.code || JSON.stringify(e))) || String(e);
    probe.errors.push(text);
    if (probe.errors.length > 50) probe.errors.shift();
    note('error', text);
  };

  window.corralProbe = function (video, programDate) {
    var drySince = null;
    var sawPlaying = false;
    var lastTime = 0;
    var framesBase = 0;
    var droppedBase = 0;
    var lastTotal = 0;
    var lastDropped = 0;
    var tickTime = null;
    var tickFrames = 0;
    var frozenRun = 0;
    video.addEventListener('timeupdate', function () {
      if (!video.seeking) lastTime = video.currentTime;
    });
    video.addEventListener('playing', function () {
      sawPlaying = true;
      if (drySince !== null) {
        probe.rebufferMs += Date.now() - drySince;
        note('playing', Date.now() - drySince);
        drySince = null;
      }
    });
    video.addEventListener('waiting', function () {
      // Before the first frame the player is still starting, which is start-up time, not a stall.
      if (!probe.playing || drySince !== null) return;
      probe.stalls++;
      drySince = Date.now();
      note('waiting', video.currentTime);
    });
    video.addEventListener('seeking', function () {
      if (!probe.playing) return;
      probe.seeks++;
      if (video.currentTime > lastTime) probe.seekedOverS += video.currentTime - lastTime;
      note('seeking', video.currentTime);
    });
    video.addEventListener('error', function () {
      probe.error('media element: ' + (video.error ? video.error.code + ' ' + video.error.message : '?'));
    });
    setInterval(function () {
      probe.currentTime = video.currentTime;
      var q = video.getVideoPlaybackQuality ? video.getVideoPlaybackQuality() : null;
      if (q) {
        if (q.totalVideoFrames < lastTotal) {
          framesBase += lastTotal;
          droppedBase += lastDropped;
          probe.frameCounterResets++;
          note('frame counter reset', lastTotal);
        }
        lastTotal = q.totalVideoFrames;
        lastDropped = q.droppedVideoFrames;
        probe.frames = framesBase + lastTotal;
        probe.dropped = droppedBase + lastDropped;
      }
      if (probe.playing && tickTime !== null && !video.seeking) {
        var advanced = video.currentTime - tickTime;
        if (probe.frames !== tickFrames || advanced <= 0 || advanced > 1) frozenRun = 0;
        else frozenRun += advanced;
        if (frozenRun > probe.frozenVideoS) probe.frozenVideoS = frozenRun;
      }
      tickTime = video.currentTime;
      tickFrames = probe.frames;
      // Playback has begun at the first decoded frame after a `playing` event: some players fire
      // `playing` at their start position long before any media is there (VHS with LL on).
      if (sawPlaying && probe.frames > 0 && !probe.playing) {
        probe.playing = true;
        note('first frame', video.currentTime);
      }
      var p = probe.playing ? programDate() : null;
      if (p && typeof p.then === 'function') {
        p.then(function (d) {
          probe.ingestToScreen = d ? (Date.now() - d.getTime()) / 1000 : null;
        });
      } else {
        probe.ingestToScreen = p ? (Date.now() - p.getTime()) / 1000 : null;
      }
    }, 250);
  };
})();
