// The viewer page: lists live streams from /streams.json and plays one with hls.js.
// State is exposed on window.corral so automated browser tests can read what the viewer sees.
/* global Hls, location */
(function () {
  'use strict';
  var video = document.getElementById('video');
  var list = document.getElementById('streams');
  var statusEl = document.getElementById('status');
  var statsEl = document.getElementById('stats');
  var state = { stream: null, playing: false, stalls: 0, errors: [], level: -1, levels: [] };
  window.corral = state;
  var hls = null;

  function play(name, playlist) {
    if (hls) hls.destroy();
    state.stream = name;
    state.playing = false;
    Array.prototype.forEach.call(list.querySelectorAll('button'), function (b) {
      b.classList.toggle('active', b.dataset.name === name);
    });
    if (window.Hls && Hls.isSupported()) {
      hls = new Hls({ liveSyncDurationCount: 3 });
      hls.on(Hls.Events.MANIFEST_PARSED, function (_e, data) {
        state.levels = data.levels.map(function (l) {
          return { width: l.width, height: l.height, bitrate: l.bitrate };
        });
        video.play().catch(function () {});
      });
      hls.on(Hls.Events.LEVEL_SWITCHED, function (_e, data) {
        state.level = data.level;
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

  setInterval(function () {
    var buf = 0;
    if (video.buffered.length) buf = video.buffered.end(video.buffered.length - 1) - video.currentTime;
    state.bufferS = buf;
    state.currentTime = video.currentTime;
    var lvl = hls && hls.levels && hls.currentLevel >= 0 ? hls.levels[hls.currentLevel] : null;
    statsEl.textContent =
      (state.stream || '-') +
      '\nrendition  ' +
      (lvl ? lvl.width + 'x' + lvl.height + ' @ ' + Math.round(lvl.bitrate / 1000) + ' kb/s' : '-') +
      '\nlatency    ' +
      (hls && hls.latency ? hls.latency.toFixed(2) + ' s' : '-') +
      '\nbuffer     ' +
      buf.toFixed(2) +
      ' s' +
      '\nstalls     ' +
      state.stalls;
  }, 500);

  refresh();
  setInterval(refresh, 3000);
})();
