/*
 * The wallboard's script: polls /api/state once a second and ticks the
 * countdowns locally in between.  Text from requests goes in with
 * textContent only, never as markup.  Without this script the page is
 * the server's table, refreshed every five seconds.
 */
'use strict';
(function () {
	var skew = 0;		/* server clock minus ours, ms */
	var offset = 0;		/* the zone of "today", s east of UTC */

	function el(tag, cls, text) {
		var e = document.createElement(tag);

		if (cls)
			e.className = cls;
		if (text !== undefined && text !== null)
			e.textContent = String(text);
		return e;
	}

	function pad(n) {
		return n < 10 ? '0' + n : String(n);
	}

	/* As board_view_countdown(): "12:05", "1:02:03", "-0:42". */
	function countdown(ms) {
		var sign = ms < 0 ? '-' : '', s;

		s = Math.floor(Math.abs(ms) / 1000);
		if (s >= 3600)
			return sign + Math.floor(s / 3600) + ':' +
			    pad(Math.floor(s / 60) % 60) + ':' + pad(s % 60);
		return sign + Math.floor(s / 60) + ':' + pad(s % 60);
	}

	function timeOfDay(ms) {
		var d = ((Math.floor(ms / 1000) + offset) % 86400 + 86400) % 86400;

		return pad(Math.floor(d / 3600)) + ':' +
		    pad(Math.floor(d / 60) % 60) + ':' + pad(d % 60);
	}

	function now() {
		return Date.now() + skew;
	}

	function dueCell(next) {
		var td;

		if (!next) {
			td = el('td', 'due none', '\u2014');
			return td;
		}
		td = el('td', 'due');
		td.dataset.due = String(next.due);
		td.dataset.warned = next.warned ? '1' : '0';
		paintDue(td, now());
		return td;
	}

	function paintDue(td, t) {
		var due = Number(td.dataset.due), level = 'ok';

		if (due <= t)
			level = 'red';
		else if (td.dataset.warned === '1')
			level = 'amber';
		td.className = 'due ' + level;
		td.textContent = countdown(due - t);
	}

	function teamRow(team) {
		var tr = el('tr'), split = el('td', 'split');

		tr.dataset.team = team.name;
		tr.appendChild(el('td', 'team', team.name));
		tr.appendChild(el('td', 'depth', team.depth));
		tr.appendChild(dueCell(team.next));
		tr.appendChild(el('td', 'ticket', team.next ? team.next.ticket : ''));
		tr.appendChild(el('td', 'subject',
		    team.next ? team.next.subject : ''));
		tr.appendChild(el('td', 'breached', team.breached_today));
		team.split.forEach(function (s) {
			split.appendChild(el('span', 'chip', s.tier + '/' +
			    s.urgency + ' ' + s.count));
			split.appendChild(document.createTextNode(' '));
		});
		tr.appendChild(split);
		return tr;
	}

	function alertRow(a) {
		var tr = el('tr'), when = el('td', 'when',
		    timeOfDay(Number(a.fired_at)));

		when.dataset.at = String(a.fired_at);
		tr.appendChild(when);
		tr.appendChild(el('td', 'ticket', a.ticket));
		tr.appendChild(el('td', 'team', a.team));
		tr.appendChild(el('td', 'step ' + (a.kind === 'breach' ? 'red' :
		    'amber'), a.metric + ' ' + a.kind + ' #' + a.step));
		tr.appendChild(el('td', 'target', a.notify));
		tr.appendChild(el('td', 'paged', a.paged));
		return tr;
	}

	function replaceRows(id, rows) {
		var tbody = document.querySelector('#' + id + ' tbody');

		if (!tbody)
			return;
		while (tbody.firstChild)
			tbody.removeChild(tbody.firstChild);
		rows.forEach(function (r) { tbody.appendChild(r); });
	}

	function setText(id, text, cls) {
		var e = document.getElementById(id);

		if (!e)
			return;
		e.textContent = text;
		if (cls !== undefined)
			e.className = cls;
	}

	function rate(n) {
		return n === null || n === undefined ? '\u2014' : String(n);
	}

	function render(s) {
		skew = s.now - Date.now();
		offset = s.utc_offset || 0;
		replaceRows('teams', s.teams.map(teamRow));
		replaceRows('alerts', s.alerts.map(alertRow));
		setText('routed', rate(s.totals.routed_per_min));
		setText('dead', rate(s.totals.dead_lettered_per_min));
		setText('reloads', String(s.totals.reloads));
		setText('version', s.rules_version);
		setText('redis', s.totals.redis, s.totals.redis === 'ok' ?
		    'ok' : 'red');
		setText('stale', '');
	}

	function tick() {
		var t = now();

		document.querySelectorAll('td.due[data-due]').forEach(
		    function (td) { paintDue(td, t); });
		setText('clock', timeOfDay(t));
	}

	function poll() {
		fetch('/api/state', { cache: 'no-store' }).then(function (r) {
			if (!r.ok)
				throw new Error('HTTP ' + r.status);
			return r.json();
		}).then(render).catch(function () {
			setText('stale', 'No data 无数据');
		}).then(function () {
			setTimeout(poll, 1000);
		});
	}

	/* The server's table counts from its own clock until the first poll. */
	document.querySelectorAll('td.due[data-due]').forEach(function (td) {
		td.dataset.warned = td.classList.contains('amber') ? '1' : '0';
	});
	setInterval(tick, 1000);
	poll();
})();
