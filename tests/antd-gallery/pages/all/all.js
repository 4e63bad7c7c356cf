// Every component of Ant Design Mini 3.4.3 with its default props.
Page({});
