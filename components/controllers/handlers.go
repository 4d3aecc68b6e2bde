package controllers

import (
	"github.com/kubesim/kubesim/components/api"
	"github.com/kubesim/kubesim/components/client"
)

// handlerFor enqueues key(obj) on every add, update and delete.
func handlerFor(q *Queue, key func(api.Object) string) client.Handler {
	return client.Handler{
		OnAdd:    func(o api.Object) { q.Add(key(o)) },
		OnUpdate: func(_, o api.Object) { q.Add(key(o)) },
		OnDelete: func(o api.Object) { q.Add(key(o)) },
	}
}
