// PM2 starts only JavaScript on Node 20: this entry loads the TypeScript app through tsx (--import tsx).
import './http-app.ts';
