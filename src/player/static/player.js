// The viewer page: lists live streams from /streams.json and plays one with hls.js. The overlay
// shows what a viewer of a live stream cares about: how far behind live, how far behind the
// broadcaster's camera (wall clock minus the playing frame's PROGRAM-DATE-TIME, which corral
// stamps at ingest), which rendition, the bandwidth estimate, buffer and stalls.
// State is exposed on window.corral so automated browser tests read what the viewer sees.
/* global Hls, location */
(function () {
  'use strict';
  var video = document.getElementById('video');
  var list = document.getElementById('streams');
  var statusEl = document.getElementById('status');
  var statsEl = document.getElementById('stats');
  var picker = document.getElementById('rendition');
  var state = {
    stream: null,
    playing: false,
    stalls: 0,
    errors: [],
    level: -1,
    auto: true,
    levels: [],
    switches: 0,
    latency: null,
    ingestToScreen: null,
    bandwidth: null,
    bufferS: 0,
    lowLatency: false,
  };
  window.corral = state;
  var hls = null;

  function fillPicker() {
    picker.innerHTML = '';
    var auto = document.createElement('option');
    auto.value = '-1';
    auto.textContent = 'auto';
    picker.appendChild(auto);
    state.levels.forEach(function (l, i) {
      var o = document.createElement('option');
      o.value = String(i);
      o.textContent = (l.height ? l.height + 'p' : 'audio') + ' · ' + Math.round(l.bitrate / 1000) + ' kb/s';
      picker.appendChild(o);
    });
    picker.value = state.auto ? '-1' : String(state.level);
  }

  picker.addEventListener('change', function () {
    if (!hls) return;
    var v = Number(picker.value);
    state.auto = v < 0;
    // nextLevel switches at the next fragment without flushing what is buffered (no stall);
    // -1 hands the choice back to ABR.
    hls.nextLevel = v;
  });

  function play(name, playlist) {
    if (hls) hls.destroy();
    state.stream = name;
    state.playing = false;
    state.auto = true;
    Array.prototype.forEach.call(list.querySelectorAll('button'), function (b) {
      b.classList.toggle('active', b.dataset.name === name);
    });
    if (window.Hls && Hls.isSupported()) {
      // lowLatencyMode uses LL-HLS parts and blocking reloads when the playlist offers them
      // (push freshness) and plays plain playlists (ttl freshness) as usual.
      // maxLiveSyncPlaybackRate lets playback speed up a little to get back to the target
      // latency after a stall, instead of staying further behind live for the rest of the show.
      hls = new Hls({ lowLatencyMode: true, backBufferLength: 30, maxLiveSyncPlaybackRate: 1.5 });
      hls.on(Hls.Events.MANIFEST_PARSED, function (_e, data) {
        state.levels = data.levels.map(function (l) {
          return { width: l.width, height: l.height, bitrate: l.bitrate };
        });
        fillPicker();
        video.play().catch(function () {});
      });
      hls.on(Hls.Events.LEVEL_LOADED, function (_e, data) {
        state.lowLatency = !!(data.details && data.details.partList && data.details.partList.length);
      });
      hls.on(Hls.Events.LEVEL_SWITCHED, function (_e, data) {
        if (state.level !== data.level && state.level !== -1) state.switches++;
        state.level = data.level;
        picker.value = state.auto ? '-1' : String(data.level);
      });
      hls.on(Hls.Events.ERROR, function (_e, data) {
        if (data.details === 'bufferStalledError') state.stalls++;
        state.errors.push(data.details);
        if (state.errors.length > 50) state.errors.shift();
        if (data.fatal) {
          if (data.type === Hls.ErrorTypes.NETWORK_ERROR) hls.startLoad();
          else if (data.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
        }
      });
      hls.loadSource(playlist);
      hls.attachMedia(video);
    } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
      video.src = playlist;
      video.play().catch(function () {});
    }
  }

  video.addEventListener('playing', function () {
    state.playing = true;
  });

  function refresh() {
    fetch('/streams.json', { cache: 'no-store' })
      .then(function (r) {
        return r.ok ? r.json() : { streams: [] };
      })
      .then(function (data) {
        var streams = data.streams || [];
        statusEl.textContent = streams.length + ' live stream' + (streams.length === 1 ? '' : 's');
        list.innerHTML = '';
        if (streams.length === 0) {
          list.innerHTML = '<div id="empty">No live streams yet. Publish to rtmp://HOST:1935/live/NAME</div>';
        }
        streams.forEach(function (s) {
          var b = document.createElement('button');
          b.textContent = s.name;
          b.dataset.name = s.name;
          b.classList.toggle('active', s.name === state.stream);
          b.onclick = function () {
            play(s.name, s.playlist);
          };
          list.appendChild(b);
        });
        var wanted = new URLSearchParams(location.search).get('stream');
        if (!state.stream && streams.length > 0) {
          var pick = streams.filter(function (s) {
            return s.name === wanted || s.name.split('/').pop() === wanted;
          })[0];
          pick = pick || streams[0];
          play(pick.name, pick.playlist);
        }
      })
      .catch(function () {
        statusEl.textContent = 'cannot reach the server';
      });
  }

  function fmt(s) {
    return s === null || s === undefined || isNaN(s) ? '-' : s.toFixed(2) + ' s';
  }

  setInterval(function () {
    var buf = 0;
    if (video.buffered.length) buf = video.buffered.end(video.buffered.length - 1) - video.currentTime;
    state.bufferS = buf;
    state.currentTime = video.currentTime;
    if (hls) {
      state.latency = hls.latency || null;
      var date = hls.playingDate;
      state.ingestToScreen = date ? (Date.now() - date.getTime()) / 1000 : null;
      state.bandwidth = hls.bandwidthEstimate || null;
    }
    var lvl = hls && hls.levels && state.level >= 0 ? hls.levels[state.level] : null;
    statsEl.textContent =
      (state.stream || '-') +
      (state.lowLatency ? '  (LL-HLS)' : '') +
      '\nrendition        ' +
      (lvl
        ? (lvl.height ? lvl.width + 'x' + lvl.height : 'audio') +
          ' @ ' +
          Math.round(lvl.bitrate / 1000) +
          ' kb/s'
        : '-') +
      (state.auto ? ' (auto)' : ' (fixed)') +
      '\nlatency to live  ' +
      fmt(state.latency) +
      '\ningest to screen ' +
      fmt(state.ingestToScreen) +
      '\nbandwidth est.   ' +
      (state.bandwidth ? (state.bandwidth / 1e6).toFixed(2) + ' Mb/s' : '-') +
      '\nbuffer           ' +
      fmt(buf) +
      '\nstalls           ' +
      state.stalls;
  }, 250);

  refresh();
  setInterval(refresh, 3000);
})();
