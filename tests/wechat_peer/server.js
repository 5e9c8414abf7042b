// A real Wechaty puppet-service server around wechaty-puppet-mock, for linli's tests.
// The bot under test connects to PEER_PORT over gRPC; the tests drive the mock WeChat
// through a small HTTP control API on CONTROL_PORT (both on 127.0.0.1 only):
//   POST /say    {"from": contactId, "to": roomId|contactId, "text": "...", "mention": [ids]}
//   GET  /sent   what the bot has sent: [{"to", "text", "room", "mentions"}]
//   POST /bogus  a message event for a message the gateway has no payload of
//   POST /logout the WeChat login is lost (the gateway stays up)
//   POST /login  it comes back
import http from 'node:http'
import { PuppetServer } from 'wechaty-puppet-service'
import { PuppetMock, mock } from 'wechaty-puppet-mock'

const port = Number(process.env.PEER_PORT)
const controlPort = Number(process.env.CONTROL_PORT)
const token = process.env.PEER_TOKEN
const people = JSON.parse(process.env.PEER_PEOPLE || '[]') // [{id, name}]
const rooms = JSON.parse(process.env.PEER_ROOMS || '[]') // [{id, topic}]
const BOT = { id: 'wxid_linli_bot', name: '小区助手' }

const sent = []
const contacts = {}
const roomMocks = {}
const mocker = new mock.Mocker()
let bot

mocker.use((m) => {
  if (!bot) {
    bot = m.createContact(BOT)
    for (const p of people) {
      const c = m.createContact({ id: p.id, name: p.name })
      contacts[p.id] = c
      c.on('message', (msg) => {
        if (msg.payload.talkerId === bot.id && !msg.payload.roomId) {
          sent.push({ to: c.id, text: msg.payload.text || '', room: false })
        }
      })
    }
    for (const r of rooms) {
      const room = m.createRoom({
        id: r.id, topic: r.topic, memberIdList: [bot.id, ...people.map((p) => p.id)],
      })
      roomMocks[r.id] = room
      room.on('message', (msg) => {
        if (msg.payload.talkerId === bot.id) {
          const text = msg.payload.text || ''
          sent.push({ to: room.id, text, room: true, mentions: mentionsOf[`${room.id}\n${text}`] || [] })
        }
      })
    }
  }
  m.login(bot) // runs again on every start: the client's Stop logs the bot out
})

const puppet = new PuppetMock({ mocker })
// the mock drops the mention ids of a send: keep what the bot asked for, as a gateway sees it
const mentionsOf = {}
const sendText = puppet.messageSendText.bind(puppet)
puppet.messageSendText = async (conversationId, text, mentionIdList) => {
  mentionsOf[`${conversationId}\n${text}`] = mentionIdList || []
  return sendText(conversationId, text, mentionIdList)
}
const server = new PuppetServer({ endpoint: `127.0.0.1:${port}`, puppet, token, tls: { disable: true } })

function body (req) {
  return new Promise((resolve) => {
    let data = ''
    req.on('data', (chunk) => { data += chunk })
    req.on('end', () => resolve(data ? JSON.parse(data) : {}))
  })
}

const control = http.createServer(async (req, res) => {
  try {
    if (req.method === 'POST' && req.url === '/say') {
      const { from, to, text, mention } = await body(req)
      const talker = contacts[from]
      const conversation = roomMocks[to] || contacts[to] || (to === BOT.id ? bot : undefined)
      if (!talker || !conversation) throw new Error(`unknown ${from} or ${to}`)
      const mentioned = (mention || []).map((id) => (id === BOT.id ? bot : contacts[id]))
      talker.say(text, mentioned).to(conversation)
      res.end('{"ok":true}')
    } else if (req.method === 'GET' && req.url === '/sent') {
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify(sent))
    } else if (req.method === 'POST' && req.url === '/bogus') {
      puppet.emit('message', { messageId: 'no-such-message' }) // an event the gateway cannot back
      res.end('{"ok":true}')
    } else if (req.method === 'POST' && req.url === '/logout') {
      await puppet.logout()
      res.end('{"ok":true}')
    } else if (req.method === 'POST' && req.url === '/login') {
      mocker.login(bot)
      res.end('{"ok":true}')
    } else {
      res.statusCode = 404
      res.end('{}')
    }
  } catch (e) {
    res.statusCode = 500
    res.end(JSON.stringify({ error: String(e) }))
  }
})

await server.start()
control.listen(controlPort, '127.0.0.1', () => console.log('READY'))

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, async () => {
    control.close()
    await server.stop().catch(() => {})
    process.exit(0)
  })
}
