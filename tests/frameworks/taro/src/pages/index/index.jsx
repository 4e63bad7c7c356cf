import { useState } from 'react'
import { View, Text, Button, Input, Switch } from '@tarojs/components'
import Taro from '@tarojs/taro'

export default function Index () {
  const [count, setCount] = useState(0)
  const [name, setName] = useState('')
  const [on, setOn] = useState(false)
  return (
    <View className='index'>
      <Text id='count' className='count'>count {count}</Text>
      <Button id='inc' className='inc' onClick={() => setCount(count + 1)}>+1</Button>
      <Input id='name' className='name' value={name} onInput={(e) => setName(e.detail.value)} placeholder='name' />
      <Text id='hello' className='hello'>hello {name}</Text>
      <Switch id='sw' className='sw' checked={on} onChange={(e) => setOn(e.detail.value)} />
      <Text id='on' className='on'>{on ? 'on' : 'off'}</Text>
      {count > 1 && <Text id='many' className='many'>many</Text>}
      <Button id='go' className='go' onClick={() => Taro.navigateTo({ url: '/pages/list/list?n=3' })}>list</Button>
    </View>
  )
}
