import { useState } from 'react'
import { View, Text } from '@tarojs/components'
import { useRouter } from '@tarojs/taro'

export default function List () {
  const router = useRouter()
  const n = Number(router.params.n || 0)
  const [items, setItems] = useState(Array.from({ length: n }, (_, i) => 'item ' + i))
  return (
    <View className='list'>
      {items.map((t, i) => <Text key={t} className='row' onClick={() => setItems(items.filter((_, j) => j !== i))}>{t}</Text>)}
      <Text id='left' className='left'>{items.length} left</Text>
    </View>
  )
}
