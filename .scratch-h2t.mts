import { convert } from 'html-to-text';
const opts = {
    wordwrap: false as const,
    selectors: [
      { selector: 'img', format: 'skip' },
      { selector: 'a', options: { ignoreHref: true } },
      ...['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((selector) => ({ selector, options: { uppercase: false } })),
      { selector: 'table', options: { uppercaseHeaderCells: false } },
    ],
  };
const t = (h: string) => console.log(JSON.stringify(convert(h, opts)));
t('<html><head><style>p{margin:0}</style><title>x</title></head><body><div dir="ltr"><div>#note</div><div>line1</div><div><br></div><div>line2</div></div><hr style="display:inline-block;width:98%"></body></html>');
t('<p class=MsoNormal>L1<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoNormal>L2 \uE000cid:x@y\uE001<o:p></o:p></p>');
t('<div>Hi<br><br>there<br></div><div><br></div><div>Sent from my iPhone</div><div><br><blockquote type="cite">On x wrote:</blockquote></div>');
t('<p>para1<br>line2</p><p>para2</p><pre>code  x\n  y</pre>');
t('<div>a &gt; b</div><div style="display:none">csp-reply-above-7d1f</div><p>##- x -##</p><div style="white-space:pre-wrap">A\n\nB</div>');
