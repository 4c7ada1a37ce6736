import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HostCheck, hostName } from './host-check.ts';

test('hostName takes the name of a Host header value (port and IPv6 brackets removed)', () => {
  assert.equal(hostName('LocalHost:7070'), 'localhost');
  assert.equal(hostName('127.0.0.1'), '127.0.0.1');
  assert.equal(hostName('[::1]:8080'), '::1');
  assert.equal(hostName('[::1'), undefined);
});

test('a loopback server answers loopback names only, plus the allowed ones (DNS rebinding defence)', () => {
  const check = new HostCheck('127.0.0.1');
  for (const ok of ['localhost:7070', '127.0.0.1:1', '127.8.9.10', '[::1]:7070', 'app.localhost:3000'])
    assert.equal(check.allows(ok), true, ok);
  for (const bad of ['evil.example:7070', 'localhost.evil.example', '10.0.0.1:7070', '', undefined])
    assert.equal(check.allows(bad), false, String(bad));
  const named = new HostCheck('::1', ['rivulet.internal']);
  assert.equal(named.allows('Rivulet.Internal:443'), true);
  assert.equal(named.allows('other.internal'), false);
});

test('a server bound elsewhere answers any host, or only the allowed names and IP literals', () => {
  assert.equal(new HostCheck('0.0.0.0').allows('anything.example'), true);
  const check = new HostCheck('0.0.0.0', ['stream.example.com']);
  assert.equal(check.allows('stream.example.com:7070'), true);
  assert.equal(check.allows('192.0.2.7:7070'), true);
  assert.equal(check.allows('evil.example'), false);
});
